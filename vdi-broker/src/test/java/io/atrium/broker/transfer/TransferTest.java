package io.atrium.broker.transfer;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.keyboard.KeyboardService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.portal.PortalService;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.RedeemedTicket;
import io.atrium.broker.ticket.TicketService;
import io.atrium.broker.transfer.TransferPolicy.ClipboardMode;
import io.atrium.broker.transfer.TransferPolicy.FileMode;
import io.atrium.broker.transfer.TransferPolicyService.TransferPolicyInput;
import io.atrium.vmm.api.HostPreparation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10 in the broker, against H2 (and PostgreSQL) with the machines faked at the edge: per-pool transfer
 * policies (validated, admin only, audited, handed to the gateway with a redeemed ticket), file transfers into the
 * user's own desktop (authorization, policy, cap counted while streaming, names checked, no partial file left,
 * audited without name or content), keyboard layouts, and the portal's cards and thumbnails.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, TransferTest.Edges.class})
class TransferTest {

    @TestConfiguration
    static class Edges {
        @Bean
        @Primary
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    @Autowired TransferPolicyService policies;
    @Autowired FileTransferService files;
    @Autowired KeyboardService keyboards;
    @Autowired PortalService portal;
    @Autowired TicketService tickets;
    @Autowired DesktopService desktops;
    @Autowired PoolAdminService poolAdmin;
    @Autowired AuditLog audit;
    @Autowired FakeMachineHost machines;

    Pool demo;

    @BeforeEach
    void demoPoolIsReady() {
        demo = admin(() -> poolAdmin.list()).stream().filter(p -> p.name().equals("demo")).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(15)).until(() -> as("probe", () -> desktops.myDesktops()).stream()
                .anyMatch(c -> c.pool().id().equals(demo.id()) && c.free() > 0));
        admin(() -> policies.update(demo.id(), TransferPolicyInput.of(TransferPolicy.DEFAULT)));
    }

    // ------------------------------------------------------------------ policies

    @Test
    void aPoolHasTheDefaultPolicyUntilAnAdministratorSetsOneAndEveryBadFieldIsNamed() {
        assertThat(admin(() -> policies.policy(demo.id()))).isEqualTo(TransferPolicy.DEFAULT);
        assertThatThrownBy(() -> admin(() -> policies.update(demo.id(),
                new TransferPolicyInput("SIDEWAYS", -1, "ALL", 0L))))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.fieldErrors())
                        .containsOnlyKeys("clipboard", "clipboardMaxBytes", "files", "fileMaxBytes"));
        assertThatThrownBy(() -> admin(() -> policies.update(demo.id(),
                new TransferPolicyInput("NONE", (1 << 20) + 1, "NONE", (1L << 30) + 1))))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.fieldErrors())
                        .containsOnlyKeys("clipboardMaxBytes", "fileMaxBytes"));

        TransferPolicy none = admin(() -> policies.update(demo.id(), new TransferPolicyInput("none", 0, "UPLOAD", 10L)));
        assertThat(none).isEqualTo(new TransferPolicy(ClipboardMode.NONE, 0, FileMode.UPLOAD, 10));
        assertThat(admin(() -> policies.policy(demo.id()))).isEqualTo(none);
        assertThat(admin(() -> audit.search(new AuditQuery(null, null, "admin", "transfer-policy", "pool", demo.id(),
                null, 1)))).singleElement().satisfies(e -> assertThat(e.detail())
                .contains("\"clipboard\":\"NONE\"").contains("\"files\":\"UPLOAD\""));

        assertThatThrownBy(() -> as("alice", () -> policies.policy(demo.id()))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> policies.update(demo.id(), TransferPolicyInput.of(none))))
                .isInstanceOf(AccessDeniedException.class);
        assertStatus(() -> admin(() -> policies.policy("no-such-pool")), BrokerStatus.NOT_FOUND);
    }

    @Test
    void aRedeemedTicketCarriesThePoolsPolicyForTheGateway() {
        admin(() -> policies.update(demo.id(), new TransferPolicyInput("GUEST_TO_BROWSER", 4096, "NONE", 1L)));
        Desktop d = as("carol", () -> desktops.open(demo.id()));
        ConsoleTicket ticket = as("carol", () -> tickets.issue(d.id()));
        RedeemedTicket redeemed = tickets.redeem(ticket.value(), Optional.of(d.id()), Optional.of("carol"));
        assertThat(redeemed.transfers()).isEqualTo(new TransferPolicy(ClipboardMode.GUEST_TO_BROWSER, 4096,
                FileMode.NONE, 1));
        as("carol", () -> desktops.logOff(d.id()));
    }

    @Test
    void theClipboardAuditSaysWhoWhichDesktopWhichWayAndHowMuchNeverTheText() {
        ClipboardAudit clipboard = new ClipboardAudit(audit);
        clipboard.record("desk-42", "dave", ClipboardAudit.Direction.BROWSER_TO_GUEST, 11,
                ClipboardAudit.Result.DROPPED_OVER_CAP);
        clipboard.record("desk-42", "dave", ClipboardAudit.Direction.GUEST_TO_BROWSER, -1, ClipboardAudit.Result.BLOCKED);
        List<AuditEvent> entries = admin(() -> audit.search(new AuditQuery(null, null, "dave", "clipboard", "desktop",
                "desk-42", null, 10)));
        assertThat(entries).extracting(AuditEvent::outcome).containsOnly(AuditEvent.Outcome.DENIED);
        assertThat(entries).extracting(AuditEvent::detail).containsExactlyInAnyOrder(
                "{\"direction\":\"BROWSER_TO_GUEST\",\"bytes\":11,\"result\":\"DROPPED_OVER_CAP\"}",
                "{\"direction\":\"GUEST_TO_BROWSER\",\"result\":\"BLOCKED\"}");
    }

    // ------------------------------------------------------------------ files

    @Test
    void aFileGoesIntoTheUsersFolderAndComesBackIdenticalAndBothAreAudited() throws Exception {
        Desktop d = as("alice", () -> desktops.open(demo.id()));
        byte[] content = new byte[700_000];
        new Random(1).nextBytes(content);
        List<Long> progress = new ArrayList<>();
        long written = as("alice", () -> files.upload(d.id(), "C:\\Users\\alice\\report ä.bin",
                new ByteArrayInputStream(content), progress::add));
        assertThat(written).isEqualTo(content.length);
        assertThat(progress).isSorted().last().isEqualTo((long) content.length);
        assertThat(machines.guestFiles.get(d.name())).containsOnlyKeys("/root/Transfer/alice/report ä.bin");
        assertThat(as("alice", () -> files.list(d.id()))).extracting(FileTransferService.FileInfo::name,
                FileTransferService.FileInfo::size).containsExactly(org.assertj.core.groups.Tuple.tuple("report ä.bin",
                (long) content.length));

        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertThat(as("alice", () -> files.download(d.id(), "report ä.bin", back, n -> { })))
                .isEqualTo(content.length);
        assertThat(back.toByteArray()).isEqualTo(content);

        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        List<AuditEvent> entries = admin(() -> audit.search(new AuditQuery(null, null, "alice", "file", "desktop",
                d.id(), null, 10)));
        assertThat(entries).extracting(AuditEvent::action).containsExactlyInAnyOrder("file.upload", "file.download");
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.SUCCESS);
            assertThat(e.detail()).contains("\"bytes\":700000", sha).doesNotContain("report");
        });
        as("alice", () -> desktops.logOff(d.id()));
    }

    @Test
    void filesFollowThePoolsPolicyAndCapAndNoPartialFileIsLeft() {
        Desktop d = as("bob", () -> desktops.open(demo.id()));
        admin(() -> policies.update(demo.id(), new TransferPolicyInput("BOTH", 1024, "UPLOAD", 1000L)));
        byte[] small = new byte[1000];
        assertThat(as("bob", () -> files.upload(d.id(), "ok.bin", new ByteArrayInputStream(small), null))).isEqualTo(1000);
        assertStatus(() -> as("bob", () -> files.download(d.id(), "ok.bin", new ByteArrayOutputStream(), null)),
                BrokerStatus.FORBIDDEN);
        assertThatThrownBy(() -> as("bob", () -> files.upload(d.id(), "big.bin", new ByteArrayInputStream(new byte[1001]),
                null))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.fieldErrors()).containsKey("size"));
        assertThat(machines.guestFiles.get(d.name())).containsOnlyKeys("/root/Transfer/bob/ok.bin");

        for (String bad : new String[] {"", ".", "..", "a\u0007b", "x".repeat(256), "dir/", ".atrium-upload-x"}) {
            assertThatThrownBy(() -> as("bob", () -> files.upload(d.id(), bad, new ByteArrayInputStream(small), null)))
                    .as(bad).isInstanceOfSatisfying(InvalidInputException.class,
                            e -> assertThat(e.fieldErrors()).containsKey("name"));
        }
        admin(() -> policies.update(demo.id(), new TransferPolicyInput("BOTH", 1024, "NONE", 1000L)));
        assertStatus(() -> as("bob", () -> files.upload(d.id(), "x.bin", new ByteArrayInputStream(small), null)),
                BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("bob", () -> files.list(d.id())), BrokerStatus.FORBIDDEN);
        assertThat(admin(() -> audit.search(new AuditQuery(null, null, "bob", "file.upload", "desktop", d.id(),
                AuditEvent.Outcome.DENIED, 10)))).hasSize(2);
        as("bob", () -> desktops.logOff(d.id()));
    }

    @Test
    void onlyTheDesktopsUserMovesItsFiles() {
        Desktop d = as("alice", () -> desktops.open(demo.id()));
        assertStatus(() -> as("mallory", () -> files.list(d.id())), BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("mallory", () -> files.upload(d.id(), "x", new ByteArrayInputStream(new byte[1]), null)),
                BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("mallory", () -> files.download(d.id(), "x", new ByteArrayOutputStream(), null)),
                BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("mallory", () -> keyboards.apply(d.id(), "de")), BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("mallory", () -> portal.thumbnail(d.id())), BrokerStatus.FORBIDDEN);
        assertThat(machines.guestFiles.getOrDefault(d.name(), java.util.Map.of())).isEmpty();
        as("alice", () -> desktops.logOff(d.id()));
    }

    @Test
    void theUsersFolderIsOneSafePathElement() {
        assertThat(FileTransferService.folder("alice")).isEqualTo("/root/Transfer/alice");
        assertThat(FileTransferService.folder("../etc")).isEqualTo("/root/Transfer/_.._etc");
        assertThat(FileTransferService.folder("jo@example.com")).isEqualTo("/root/Transfer/jo_example.com");
    }

    // ------------------------------------------------------------------ keyboard

    @Test
    void aLayoutIsAppliedInTheUsersDesktopUnlessItsImageHasNoAgent() {
        Desktop d = as("alice", () -> desktops.open(demo.id()));
        assertThat(as("alice", () -> keyboards.apply(d.id(), "ch-fr"))).isEqualTo(KeyboardService.Applied.APPLIED);
        assertThat(machines.keyboardLayouts).containsEntry(d.name(), "ch:fr");
        assertThatThrownBy(() -> as("alice", () -> keyboards.apply(d.id(), "klingon")))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.fieldErrors()).containsKey("layout"));
        machines.imagesWithoutAgent.add(demo.image());
        try {
            assertThat(as("alice", () -> keyboards.apply(d.id(), "de"))).isEqualTo(KeyboardService.Applied.NOT_SUPPORTED);
        } finally {
            machines.imagesWithoutAgent.clear();
        }
        as("alice", () -> desktops.logOff(d.id()));
    }

    // ------------------------------------------------------------------ portal

    @Test
    void theCardsSayWhatIsHappeningAndShowTheUsersOwnScreen() {
        PortalService.Card free = as("erin", () -> portal.cards()).stream()
                .filter(c -> c.desktop().pool().id().equals(demo.id())).findFirst().orElseThrow();
        assertThat(free.state()).endsWith("ready to open");
        assertThat(free.openable()).isTrue();

        machines.preparing.add(new HostPreparation(HostPreparation.Kind.IMAGE_BUILD, demo.image(), 2, 5,
                "adding Atrium's guest files", Instant.now()));
        try {
            Desktop d = as("erin", () -> desktops.open(demo.id()));
            PortalService.Card mine = as("erin", () -> portal.cards()).stream()
                    .filter(c -> c.desktop().pool().id().equals(demo.id())).findFirst().orElseThrow();
            assertThat(mine.state()).isEqualTo("yours, ready to open");
            assertThat(mine.progress()).isEmpty();
            assertThat(as("erin", () -> portal.thumbnail(d.id()))).isPresent();

            // every desktop in use, an image being built: the others' cards say so
            List<Desktop> taken = new ArrayList<>();
            for (String user : List.of("u1", "u2", "u3", "u4")) {
                try {
                    taken.add(as(user, () -> desktops.open(demo.id())));
                } catch (BrokerException e) {
                    assertThat(e.status()).isEqualTo(BrokerStatus.NO_DESKTOP_FREE);
                }
            }
            PortalService.Card waiting = as("frank", () -> portal.cards()).stream()
                    .filter(c -> c.desktop().pool().id().equals(demo.id())).findFirst().orElseThrow();
            assertThat(waiting.desktop().free()).isZero(); // the demo pool has 3 desktops, all taken
            assertThat(waiting.progress()).hasValueSatisfying(p -> {
                assertThat(p.text()).isEqualTo("building the desktop image, 2 of 5 steps (adding Atrium's guest files)");
                assertThat(p.done()).isEqualTo(1);
                assertThat(p.total()).isEqualTo(5);
            });
            assertThat(waiting.openable()).isFalse();
            machines.preparing.clear();
            PortalService.Card allInUse = as("frank", () -> portal.cards()).stream()
                    .filter(c -> c.desktop().pool().id().equals(demo.id())).findFirst().orElseThrow();
            assertThat(allInUse.state()).isEqualTo("all desktops are in use; try again shortly");
            for (Desktop t : taken) {
                as(t.assignedUser(), () -> desktops.logOff(t.id()));
            }
            as("erin", () -> desktops.logOff(d.id()));
        } finally {
            machines.preparing.clear();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void assertStatus(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, BrokerStatus status) {
        assertThatThrownBy(call).isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(status));
    }

    private static <T> T admin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN")));
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
