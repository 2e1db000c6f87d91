package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeImageHost;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.MutableClock;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolService;
import io.atrium.vmm.api.MachineSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.annotation.DirtiesContext;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The image library in the broker, with the hosts faked at the edges: uploads through validation, seal and boot
 * test to READY (and refusals naming their rule), the state table, drafts, built-in recipes as images, authorization
 * and the audit log.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, ImageLibraryTest.Edges.class},
        properties = {"atrium.broker.images.rollout-check-period=0", "atrium.broker.images.draft-agent-timeout=3s"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class ImageLibraryTest {

    @TestConfiguration
    static class Edges {
        @Bean @Primary FakeMachineHost machines() {
            return new FakeMachineHost();
        }

        @Bean @Primary FakeImageHost imageHost() {
            return new FakeImageHost();
        }

        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }
    }

    @Autowired ImageLibraryService library;
    @Autowired ImageRepository repo;
    @Autowired PoolImageRepository pins;
    @Autowired PoolService pools;
    @Autowired PoolAdminService poolAdmin;
    @Autowired FakeImageHost host;
    @Autowired FakeMachineHost machines;
    @Autowired ImageJobs jobs;
    @Autowired AuditLog audit;

    String imageId;

    @BeforeEach
    void anImage() {
        imageId = asAdmin(() -> library.createImage("debian", "Debian for the tests")).id();
    }

    @Test
    void builtInRecipesAreImagesAndExistingPoolsPinThem() {
        String demo = as("alice", () -> pools.myPools().getFirst().id());
        await().atMost(Duration.ofSeconds(10)).until(() -> machines.specs.size() >= 3);
        assertThat(pins.pin(demo).flatMap(PoolImageRepository.Pin::version)).contains(FakeImageHost.X_DESKTOP_VERSION);
        assertThat(repo.findVersion(FakeImageHost.X_DESKTOP_VERSION)).hasValueSatisfying(v -> {
            assertThat(v.state()).isEqualTo(VersionState.PUBLISHED);
            assertThat(v.source()).isEqualTo(ImageVersion.Source.BUILTIN);
            assertThat(v.imageName()).isEqualTo("x-desktop");
        });
        assertThat(repo.findVersion(FakeImageHost.CONSOLE_VERSION)).map(ImageVersion::state).contains(VersionState.READY);
        // the machines are started with that version, and each desktop records it
        assertThat(machines.specs).allSatisfy(s -> assertThat(s.image())
                .isEqualTo(new MachineSpec.ImageRef("x-desktop", java.util.Optional.of(FakeImageHost.X_DESKTOP_VERSION))));
        assertThat(pins.desktopVersions(demo).values()).hasSize(3).containsOnly(FakeImageHost.X_DESKTOP_VERSION);
        assertThat(asAdmin(() -> poolAdmin.imageNames())).contains("console", "x-desktop").doesNotContain("debian");
    }

    @Test
    void anUploadIsValidatedSealedThroughItsAgentBootTestedAndReady() {
        byte[] disk = "QFI\u00fb a qcow2 as far as this fake is concerned".repeat(1000).getBytes(StandardCharsets.ISO_8859_1);
        ImageVersion v = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec("qcow2", "UEFI",
                512, (long) disk.length, true)));
        assertThat(v.state()).isEqualTo(VersionState.UPLOADING);
        assertThat(v.label()).isEqualTo("debian v1");
        int half = disk.length / 2;
        ImageVersion partly = asAdmin(() -> library.receive(v.id(), 0, new ByteArrayInputStream(disk, 0, half),
                (long) disk.length));
        assertThat(partly.state()).isEqualTo(VersionState.UPLOADING);
        assertThat(partly.receivedBytes()).isEqualTo(half);
        // a piece that does not continue where the upload ends is refused
        assertThatThrownBy(() -> asAdmin(() -> library.receive(v.id(), 7, new ByteArrayInputStream(disk), null)))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE));
        asAdmin(() -> library.receive(v.id(), half, new ByteArrayInputStream(disk, half, disk.length - half),
                (long) disk.length));

        ImageVersion ready = awaitState(v.id(), VersionState.READY);
        assertThat(ready.guestAgent()).contains(true);
        assertThat(ready.coldBootOnly()).isFalse();
        assertThat(ready.virtualSize()).contains((long) disk.length);
        // sealed in a draft machine (cold boot, its own disk), committed from it, then boot-tested
        MachineSpec draft = machines.specs.stream().filter(s -> s.name().startsWith("draft-")).findFirst().orElseThrow();
        assertThat(draft.disk()).isEqualTo(MachineSpec.DiskPolicy.KEEP);
        assertThat(draft.boot()).isEqualTo(MachineSpec.BootMode.COLD_BOOT);
        assertThat(draft.image()).isEqualTo(new MachineSpec.ImageRef("debian", java.util.Optional.of(v.id())));
        assertThat(host.calls).containsSubsequence("seal " + draft.name(), "commit " + v.id() + " from " + draft.name(),
                "test " + v.id());
        assertThat(machines.isRunning(draft.name())).isFalse();
        assertThat(repo.findVersion(v.id()).orElseThrow().machine()).isEmpty();
        List<String> log = asAdmin(() -> library.log(v.id())).stream().map(VersionLogEntry::message).toList();
        assertThat(log).anyMatch(l -> l.startsWith("upload complete")).anyMatch(l -> l.contains("validated"))
                .anyMatch(l -> l.startsWith("sealed")).anyMatch(l -> l.startsWith("ready"));
        assertThat(asAdmin(() -> poolAdmin.imageNames())).contains("debian");
        assertThat(asAdmin(() -> audit.search(new AuditQuery(null, null, null, "image.upload", null, null, null, 10))))
                .anySatisfy(e -> assertThat(e.objectId()).isEqualTo(v.id()));
    }

    @Test
    void aVersionWithoutAnAgentIsSealedAsItIsAndOnlyColdBooted() {
        host.guestAgent.set(false);
        ImageVersion v = upload("plain disk");
        ImageVersion ready = awaitState(v.id(), VersionState.READY);
        assertThat(ready.guestAgent()).contains(false);
        assertThat(ready.coldBootOnly()).isTrue();
        assertThat(asAdmin(() -> library.log(v.id()))).anyMatch(e -> e.level() == VersionLogEntry.Level.WARN
                && e.message().contains("no QEMU guest agent"));
    }

    @Test
    void refusedUploadsFailNamingTheRuleAndLeaveNothingBehind() {
        for (String rule : List.of("BACKING_FILE", "DATA_FILE", "JSON_FILENAME", "VMDK_TYPE", "VMDK_EXTENT",
                "FORMAT_MISMATCH", "VIRTUAL_SIZE", "EXPANDED_SIZE")) {
            ImageVersion v = upload("REFUSE:" + rule + " crafted");
            ImageVersion failed = awaitState(v.id(), VersionState.FAILED);
            assertThat(failed.stateReason()).contains("(" + rule + ")");
            assertThat(host.uploaded(v.uploadId().orElseThrow())).isEmpty();
            assertThat(host.keeps(v.id())).isFalse();
        }
        // announced beyond the quota: refused before a byte is sent
        host.quota.set(1000);
        assertThatThrownBy(() -> asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec(
                "raw", null, null, 5000L, true)))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.fieldErrors().get("sizeBytes")).contains("QUOTA"));
        // streamed beyond it: cut off, the version fails, nothing stays staged
        ImageVersion v = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec("raw", null, null,
                null, true)));
        assertThatThrownBy(() -> asAdmin(() -> library.receive(v.id(), 0, new ByteArrayInputStream(new byte[5000]),
                null))).isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.TOO_LARGE);
                    assertThat(e.status().httpStatus()).isEqualTo(413);
                    assertThat(e.getMessage()).contains("QUOTA");
                });
        assertThat(repo.findVersion(v.id()).orElseThrow().state()).isEqualTo(VersionState.FAILED);
        assertThat(host.uploaded(v.uploadId().orElseThrow())).isEmpty();
    }

    @Test
    void badInputNamesEachField() {
        assertThatThrownBy(() -> asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec(
                "vhdx", "coreboot", 10, -1L, true)))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.fieldErrors()).containsKeys("format", "firmware", "memoryMb", "sizeBytes"));
        assertThatThrownBy(() -> asAdmin(() -> library.createImage("Not OK!", null)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.fieldErrors()).containsKey("name"));
        assertThatThrownBy(() -> asAdmin(() -> library.createImage("debian", null)))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.fieldErrors().get("name")).contains("already exists"));
        assertThatThrownBy(() -> asAdmin(() -> library.version("no-such-version")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
    }

    @Test
    void theStateTableRefusesWhatItDoesNotAllow() {
        for (VersionState from : VersionState.values()) {
            for (VersionState to : VersionState.values()) {
                if (!from.canBecome(to)) {
                    assertThatThrownBy(() -> repo.transition("x", List.of(from), to, null))
                            .isInstanceOf(IllegalVersionTransitionException.class);
                }
            }
        }
        assertThat(VersionState.RETIRED.canBecome(VersionState.PUBLISHED)).isFalse();
        assertThat(VersionState.PUBLISHED.canBecome(VersionState.RETIRED)).as("superseded first").isFalse();
        ImageVersion v = upload("disk");
        ImageVersion ready = awaitState(v.id(), VersionState.READY);
        assertThatThrownBy(() -> asAdmin(() -> library.seal(ready.id(), true)))
                .isInstanceOfSatisfying(IllegalVersionTransitionException.class,
                        e -> assertThat(e.status().httpStatus()).isEqualTo(409));
        assertThatThrownBy(() -> asAdmin(() -> library.receive(ready.id(), 0, new ByteArrayInputStream(new byte[1]), null)))
                .isInstanceOf(IllegalVersionTransitionException.class);
        // a READY version can be boot-tested again and retired; a retired one is gone from the host
        asAdmin(() -> library.retest(ready.id()));
        awaitState(ready.id(), VersionState.READY);
        assertThat(asAdmin(() -> library.retire(ready.id())).state()).isEqualTo(VersionState.RETIRED);
        assertThat(host.keeps(ready.id())).isFalse();
        assertThatThrownBy(() -> asAdmin(() -> library.retire(ready.id())))
                .isInstanceOf(IllegalVersionTransitionException.class);
    }

    @Test
    void aFailedBootTestFailsTheVersionAndCanBeRunAgain() {
        host.failBootTests.set(true);
        ImageVersion v = upload("disk");
        ImageVersion failed = awaitState(v.id(), VersionState.FAILED);
        assertThat(failed.stateReason()).startsWith("Boot test failed: no real frame");
        host.failBootTests.set(false);
        asAdmin(() -> library.retest(v.id()));
        assertThat(awaitState(v.id(), VersionState.READY).guestAgent()).contains(true);
    }

    @Test
    void anEditIsALinkedCloneDraftSealedAsTheNextVersion() {
        ImageVersion v1 = awaitState(upload("disk").id(), VersionState.READY);
        ImageVersion draft = asAdmin(() -> library.editDraft(v1.id()));
        assertThat(draft.state()).isEqualTo(VersionState.BUILDING);
        assertThat(draft.number()).isEqualTo(2);
        assertThat(draft.source()).isEqualTo(ImageVersion.Source.EDIT);
        assertThat(draft.parentId()).contains(v1.id());
        String machine = draft.machine().orElseThrow();
        assertThat(machines.isRunning(machine)).isTrue();
        assertThat(asAdmin(() -> library.draftConsole(draft.id()))).isPresent();

        asAdmin(() -> library.seal(draft.id(), true));
        ImageVersion v2 = awaitState(draft.id(), VersionState.READY);
        assertThat(host.calls).containsSubsequence("seal " + machine, "commit " + draft.id() + " from " + machine);
        assertThat(machines.isRunning(machine)).isFalse();
        assertThat(v2.machine()).isEmpty();
        assertThat(repo.findVersion(v1.id()).orElseThrow().state()).as("the edited version stays").isEqualTo(VersionState.READY);
    }

    @Test
    void anInstallFromAnIsoIsADraftWithABlankDiskAndTheMedium() {
        ImageVersion iso = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec("iso", null,
                null, 4L, true)));
        asAdmin(() -> library.receive(iso.id(), 0, new ByteArrayInputStream("CD00".getBytes()), 4L));
        ImageVersion medium = awaitState(iso.id(), VersionState.READY);
        assertThat(medium.kind()).isEqualTo(ImageVersion.Kind.MEDIUM);
        assertThat(host.calls).noneMatch(c -> c.contains(iso.id())); // neither sealed nor boot-tested

        assertThatThrownBy(() -> asAdmin(() -> library.installDraft(imageId, new ImageLibraryService.InstallSpec(
                "nope", 0, "EFI", 1)))).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(
                e.fieldErrors()).containsKeys("mediumVersionId", "diskGb", "firmware", "memoryMb"));
        ImageVersion draft = asAdmin(() -> library.installDraft(imageId, new ImageLibraryService.InstallSpec(
                medium.id(), 8, "UEFI", 1024)));
        assertThat(draft.state()).isEqualTo(VersionState.BUILDING);
        assertThat(draft.source()).isEqualTo(ImageVersion.Source.INSTALL);
        assertThat(host.firmwareOf(draft.id())).contains(io.atrium.vmm.api.Firmware.UEFI);
        assertThat(machines.isRunning(draft.machine().orElseThrow())).isTrue();
        // an install medium is never published
        assertThatThrownBy(() -> asAdmin(() -> library.editDraft(medium.id())))
                .isInstanceOf(IllegalVersionTransitionException.class);
    }

    @Test
    void interruptedStepsFailAtStartUp() {
        ImageVersion v = awaitState(upload("disk").id(), VersionState.READY);
        repo.transition(v.id(), List.of(VersionState.READY), VersionState.TESTING, null);
        jobs.stop();
        jobs.start();
        ImageVersion after = repo.findVersion(v.id()).orElseThrow();
        assertThat(after.state()).isEqualTo(VersionState.FAILED);
        assertThat(after.stateReason()).contains("Interrupted");
    }

    @Test
    void onlyAdministratorsUseTheLibrary() {
        assertThatThrownBy(() -> as("alice", () -> library.images())).isInstanceOf(AuthorizationDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> library.createImage("mine", null)))
                .isInstanceOf(AuthorizationDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> library.receive("x", 0, new ByteArrayInputStream(new byte[1]), 1L)))
                .isInstanceOf(AuthorizationDeniedException.class);
    }

    // ------------------------------------------------------------------ helpers

    ImageVersion upload(String content) {
        byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
        byte[] padded = Arrays.copyOf(bytes, Math.max(bytes.length, 64));
        ImageVersion v = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec("qcow2", null,
                null, (long) padded.length, true)));
        asAdmin(() -> library.receive(v.id(), 0, new ByteArrayInputStream(padded), (long) padded.length));
        return v;
    }

    ImageVersion awaitState(String versionId, VersionState state) {
        await().atMost(Duration.ofSeconds(15)).until(() -> jobs.idle()
                && repo.findVersion(versionId).orElseThrow().state() == state);
        return repo.findVersion(versionId).orElseThrow();
    }

    static <T> T asAdmin(Supplier<T> body) {
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))));
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
