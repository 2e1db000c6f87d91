package io.atrium.vmm.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.api.BootTestRequest;
import io.atrium.vmm.api.BootTestResult;
import io.atrium.vmm.api.CommitRequest;
import io.atrium.vmm.api.CommitResult;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.api.HostVersion;
import io.atrium.vmm.api.ImportRequest;
import io.atrium.vmm.api.ImportResult;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.SealResult;
import io.atrium.vmm.api.UploadResult;
import io.atrium.vmm.api.ValidationRule;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.testing.DebianDiskImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The images seam on this machine ({@link LocalImageHost}) with real QEMU: a resumed upload, import, a draft machine
 * sealed through its guest agent and committed, the boot test (first real frame, template), an instant clone of the
 * version with its own identity and none of the sealed files; a disk without an operating system never passes its
 * boot test; a version without an agent is cold-boot only and gets its hostname from a cloud-init seed. Runs with
 * {@code -Datrium.test.disk-image=true} (the Debian test image takes minutes to build the first time).
 */
@EnabledIfSystemProperty(named = "atrium.test.disk-image", matches = "true")
class ImageHostIntegrationTest {

    @RegisterExtension
    final MachineHostFixture fixture = new MachineHostFixture();
    static final Duration BOOT = Duration.ofMinutes(4);

    @Test
    void uploadSealCommitBootTestAndInstantCloneAVersion() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalImageHost images = new LocalImageHost(vmm);
        LocalMachineHost machines = fixture.machineHost(vmm);
        Path qcow2 = DebianDiskImage.shared().qcow2(DebianDiskImage.V1);
        byte[] bytes = Files.readAllBytes(qcow2);
        int half = bytes.length / 2;

        // a resumed upload: the second piece continues where the first ended
        assertThat(images.receive("up-1", 0, new ByteArrayInputStream(bytes, 0, half)))
                .isEqualTo(new UploadResult.Received("up-1", half));
        assertThat(images.uploaded("up-1")).hasValue(half);
        assertThat(images.receive("up-1", half, new ByteArrayInputStream(bytes, half, bytes.length - half)))
                .isEqualTo(new UploadResult.Received("up-1", bytes.length));
        ImportResult imported = images.importUpload(new ImportRequest("up-1", "deb-v1", "debian", DiskFormat.QCOW2,
                Firmware.BIOS, DebianDiskImage.MEMORY_MB));
        assertThat(imported).isInstanceOf(ImportResult.Imported.class);
        assertThat(images.uploaded("up-1")).isEmpty();
        assertThat(images.version("deb-v1")).map(HostVersion::kind).contains(HostVersion.Kind.DRAFT);

        // the draft runs as a machine; things that make it this machine are planted, then sealed away
        machines.start(spec("draft-1", "52:54:00:d0:00:01", "deb-v1", DiskPolicy.KEEP, BootMode.COLD_BOOT));
        try (QgaClient qga = QgaClient.connect(vmm.runDir("draft-1").resolve("qga.sock"), BOOT)) {
            assertThat(qga.exec(List.of("sh", "-c", "echo 0123456789abcdef0123456789abcdef > /etc/machine-id;"
                    + " mkdir -p /etc/ssh /var/lib/dhcp /var/lib/cloud/instances/i-1;"
                    + " echo key > /etc/ssh/ssh_host_ed25519_key; echo lease > /var/lib/dhcp/dhclient.leases; sync"),
                    Duration.ofSeconds(60)).succeeded()).isTrue();
        }
        SealResult sealed = images.sealGuest("draft-1");
        assertThat(sealed).isInstanceOf(SealResult.Sealed.class);
        assertThat(sealed.log()).anyMatch(l -> l.contains("machine-id emptied"))
                .anyMatch(l -> l.contains("ssh_host_ed25519_key")).anyMatch(l -> l.contains("dhclient.leases"))
                .anyMatch(l -> l.contains("/var/lib/cloud/instances"));
        machines.stop("draft-1");
        CommitResult committed = images.commitDraft(new CommitRequest("deb-v1", Optional.of("draft-1")));
        assertThat(committed).isInstanceOf(CommitResult.Committed.class);
        machines.discard("draft-1");

        BootTestResult tested = images.bootTest(new BootTestRequest("deb-v1", 1, DebianDiskImage.MEMORY_MB, BOOT));
        assertThat(tested).isInstanceOfSatisfying(BootTestResult.Passed.class, p -> {
            assertThat(p.guestAgent()).isTrue();
            System.out.println("boot test: first real frame after " + p.frameAfterMs() + " ms; " + p.log());
        });
        assertThat(((BootTestResult.Passed) tested).frameAfterMs()).isPositive();
        assertThat(images.version("deb-v1")).hasValueSatisfying(v -> {
            assertThat(v.kind()).isEqualTo(HostVersion.Kind.DISK);
            assertThat(v.guestAgent()).isTrue();
            assertThat(v.bootTested()).isTrue();
        });

        // two instant clones: each its own hostname, MAC, clock and VM generation id, none of the sealed files
        for (String name : List.of("deb-1", "deb-2")) {
            String mac = name.equals("deb-1") ? "52:54:00:d0:00:11" : "52:54:00:d0:00:12";
            MachineInfo clone = machines.start(spec(name, mac, "deb-v1", DiskPolicy.FRESH,
                    BootMode.INSTANT_CLONE_PREFERRED));
            assertThat(clone.boot()).isEqualTo(MachineInfo.BootKind.INSTANT_CLONE);
            try (QgaClient qga = QgaClient.connect(vmm.runDir(name).resolve("qga.sock"), Duration.ofSeconds(30))) {
                assertThat(qga.hostname()).isEqualTo(name);
                assertThat(qga.exec(List.of("sh", "-c", "[ -d /sys/firmware/efi ] && echo uefi || echo bios"),
                        Duration.ofSeconds(30)).stdoutText().strip()).as("booted by SeaBIOS").isEqualTo("bios");
                assertThat(qga.networkInterfaces()).anySatisfy(i -> assertThat(i.macAddress()).contains(mac));
                long guest = Long.parseLong(qga.exec(List.of("date", "+%s"), Duration.ofSeconds(30)).stdoutText()
                        .strip());
                assertThat(Math.abs(guest - java.time.Instant.now().getEpochSecond())).as("clock").isLessThan(30);
                String left = qga.exec(List.of("sh", "-c", "cat /etc/machine-id; ls /etc/ssh /var/lib/dhcp"
                        + " /var/lib/cloud/instances 2>&1"), Duration.ofSeconds(30)).stdoutText();
                assertThat(left).doesNotContain("0123456789abcdef", "ssh_host_ed25519_key", "dhclient.leases", "i-1");
                // the guest kernel's vmgenid driver is bound: a new generation id reseeds its random state
                assertThat(qga.exec(List.of("ls", "/sys/bus/acpi/drivers/vmgenid/"), Duration.ofSeconds(30))
                        .stdoutText()).contains("QEMUVGID");
            }
        }
        QemuVm one = MachineHostFixture.vm(vmm, "deb-1");
        QemuVm two = MachineHostFixture.vm(vmm, "deb-2");
        String genOne = one.qmp().execute("query-vm-generation-id").path("guid").asString();
        assertThat(genOne).isEqualTo(one.spec().generationId())
                .isNotEqualTo(two.qmp().execute("query-vm-generation-id").path("guid").asString());
        machines.stop("deb-1");
        machines.stop("deb-2");

        // an edit: a draft that is a linked clone of the version, committed as the next one from its machine's disk
        images.createDraft(new io.atrium.vmm.api.DraftRequest("deb-v2", "debian", Optional.of("deb-v1"),
                Optional.empty(), 0, Firmware.BIOS, DebianDiskImage.MEMORY_MB));
        machines.start(spec("draft-2", "52:54:00:d0:00:02", "deb-v2", DiskPolicy.KEEP, BootMode.COLD_BOOT));
        assertThat(MachineHostFixture.vm(vmm, "draft-2").spec().disk()).exists();
        machines.stop("draft-2");
        assertThat(images.commitDraft(new CommitRequest("deb-v2", Optional.of("draft-2"))))
                .isInstanceOf(CommitResult.Committed.class);
        assertThat(images.version("deb-v2")).map(HostVersion::kind).contains(HostVersion.Kind.DISK);
        machines.discard("draft-2");
        images.deleteVersion("deb-v1");
        images.deleteVersion("deb-v2");
        assertThat(images.version("deb-v1")).isEmpty();
        assertThat(vmm.instantClones().deleteTemplatesOf("deb-v1")).isZero();
    }

    @Test
    void theQuotaAndRefusalsComeBackAsResultsAndLeaveNoStagingFile() throws Exception {
        Path dataDir = fixture.newDataDir();
        VmmHost vmm = new VmmHost(io.atrium.vmm.VmmProperties.defaults(dataDir), io.atrium.vmm.qemu.ResolvedAccelerator
                .tcg("test"), new io.atrium.vmm.image.GuestImages(io.atrium.vmm.VmmProperties.defaults(dataDir)),
                new io.atrium.vmm.qemu.QemuLauncher(io.atrium.vmm.VmmProperties.defaults(dataDir)),
                io.atrium.vmm.library.LibraryProperties.defaults()
                        .withMaxUploadSize(org.springframework.util.unit.DataSize.ofMegabytes(1)));
        LocalImageHost images = new LocalImageHost(vmm);
        UploadResult big = images.receive("big", 0, new ByteArrayInputStream(new byte[3 << 20]));
        assertThat(big).isInstanceOfSatisfying(UploadResult.Refused.class,
                r -> assertThat(r.rule()).isEqualTo(ValidationRule.QUOTA));
        assertThat(images.uploaded("big")).isEmpty();

        Path evil = dataDir.resolve("evil.qcow2");
        Process p = new ProcessBuilder("qemu-img", "create", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw",
                evil.toString(), "1M").redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        try (InputStream in = Files.newInputStream(evil)) {
            assertThat(images.receive("evil", 0, in)).isInstanceOf(UploadResult.Received.class);
        }
        ImportResult refused = images.importUpload(new ImportRequest("evil", "evil-v1", "debian", DiskFormat.QCOW2,
                Firmware.BIOS, 256));
        assertThat(refused).isInstanceOfSatisfying(ImportResult.Refused.class, r -> {
            assertThat(r.rule()).isEqualTo(ValidationRule.BACKING_FILE);
            assertThat(r.message()).contains("BACKING_FILE");
        });
        assertThat(images.uploaded("evil")).isEmpty();
        assertThat(images.version("evil-v1")).isEmpty();
        vmm.close();
    }

    @Test
    void anInstallDraftIsABlankDiskWithTheIsoAttachedReadOnly() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalImageHost images = new LocalImageHost(vmm);
        LocalMachineHost machines = fixture.machineHost(vmm);
        Path content = Files.createDirectories(vmm.properties().dataDir().resolve("iso"));
        Files.writeString(content.resolve("README"), "an installer would be here\n");
        Path iso = vmm.properties().dataDir().resolve("install.iso");
        Process p = new ProcessBuilder("genisoimage", "-quiet", "-V", "INSTALL", "-o", iso.toString(),
                content.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        try (InputStream in = Files.newInputStream(iso)) {
            images.receive("iso", 0, in);
        }
        assertThat(images.importUpload(new ImportRequest("iso", "iso-v1", "installer", DiskFormat.ISO, Firmware.BIOS,
                256))).isInstanceOfSatisfying(ImportResult.Imported.class, i -> assertThat(i.format()).isEqualTo(DiskFormat.ISO));
        assertThat(images.version("iso-v1")).map(HostVersion::kind).contains(HostVersion.Kind.MEDIUM);

        images.createDraft(new io.atrium.vmm.api.DraftRequest("inst-v1", "installed", Optional.empty(),
                Optional.of("iso-v1"), 1L << 30, Firmware.UEFI, 512));
        machines.start(new MachineSpec("draft-i", "52:54:00:d0:00:31", new ImageRef("installed", Optional.of("inst-v1")),
                1, 512, DiskPolicy.KEEP, BootMode.COLD_BOOT, NetworkAttachment.ISOLATED, Optional.empty()));
        QemuVm vm = MachineHostFixture.vm(vmm, "draft-i");
        assertThat(vm.spec().bootsFromDisk()).isTrue();
        assertThat(vm.spec().efiVars()).exists();
        // the CD is the medium, read-only; the disk is an overlay over the blank disk
        var block = vm.qmp().execute("query-block");
        boolean cd = false;
        for (var dev : block) {
            if (dev.path("inserted").path("file").asString("").endsWith("install.iso")) {
                cd = true;
                assertThat(dev.path("inserted").path("ro").asBoolean()).isTrue();
            }
        }
        assertThat(cd).as("install medium attached: " + block).isTrue();
        Process info = new ProcessBuilder("qemu-img", "info", "-U", vm.spec().disk().toString())
                .redirectErrorStream(true).start();
        assertThat(new String(info.getInputStream().readAllBytes())).contains("blank.qcow2");
        machines.stop("draft-i");
        assertThat(images.commitDraft(new CommitRequest("inst-v1", Optional.of("draft-i"))))
                .isInstanceOfSatisfying(CommitResult.Committed.class, c -> assertThat(c.virtualSize()).isEqualTo(1L << 30));
    }

    @Test
    void aDiskWithoutAnOperatingSystemNeverPassesItsBootTest() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalImageHost images = new LocalImageHost(vmm);
        Path blank = vmm.properties().dataDir().resolve("blank.qcow2");
        Process p = new ProcessBuilder("qemu-img", "create", "-f", "qcow2", blank.toString(), "256M")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        try (InputStream in = Files.newInputStream(blank)) {
            images.receive("blank", 0, in);
        }
        assertThat(images.importUpload(new ImportRequest("blank", "blank-v1", "empty", DiskFormat.QCOW2,
                Firmware.UEFI, 256))).isInstanceOf(ImportResult.Imported.class);
        assertThat(images.commitDraft(new CommitRequest("blank-v1", Optional.empty())))
                .isInstanceOf(CommitResult.Committed.class);
        // OVMF shows its splash, tries the disk and ends in its shell: screens, but no agent and no disk write
        BootTestResult result = images.bootTest(new BootTestRequest("blank-v1", 1, 256, Duration.ofSeconds(30)));
        assertThat(result).isInstanceOfSatisfying(BootTestResult.Failed.class,
                f -> assertThat(f.reason()).contains("no real frame").contains("never written"));
        assertThat(images.version("blank-v1")).map(HostVersion::bootTested).contains(false);
    }

    @Test
    void aVersionWithoutAnAgentIsColdBootedWithItsHostnameFromACloudInitSeed() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false,
                io.atrium.vmm.library.LibraryProperties.defaults().withAgentGrace(Duration.ofSeconds(10)));
        LocalImageHost images = new LocalImageHost(vmm);
        LocalMachineHost machines = fixture.machineHost(vmm);
        Path qcow2 = DebianDiskImage.shared().qcow2(new DebianDiskImage.Variant("noagent", 41, false));
        try (InputStream in = Files.newInputStream(qcow2)) {
            images.receive("na", 0, in);
        }
        images.importUpload(new ImportRequest("na", "na-v1", "debian", DiskFormat.QCOW2, Firmware.BIOS,
                DebianDiskImage.MEMORY_MB));
        images.commitDraft(new CommitRequest("na-v1", Optional.empty()));
        BootTestResult result = images.bootTest(new BootTestRequest("na-v1", 1, DebianDiskImage.MEMORY_MB, BOOT));
        assertThat(result).isInstanceOfSatisfying(BootTestResult.Passed.class, p -> {
            assertThat(p.guestAgent()).isFalse();
            assertThat(p.rule()).contains("wrote to its disk");
        });

        MachineInfo info = machines.start(spec("deb-cold", "52:54:00:d0:00:21", "na-v1", DiskPolicy.FRESH,
                BootMode.INSTANT_CLONE_PREFERRED));
        assertThat(info.boot()).as("no agent: cold boot only").isEqualTo(MachineInfo.BootKind.COLD_BOOT);
        QemuVm vm = MachineHostFixture.vm(vmm, "deb-cold");
        vm.awaitSerialOutput("atrium-boot: nocloud: hostname deb-cold", BOOT);
        assertThat(vm.spec().cdroms()).containsExactly(vmm.runDir("deb-cold").resolve("seed.iso"));
    }

    private static MachineSpec spec(String name, String mac, String version, DiskPolicy disk, BootMode boot) {
        return new MachineSpec(name, mac, new ImageRef("debian", Optional.of(version)), 1, DebianDiskImage.MEMORY_MB,
                disk, boot, NetworkAttachment.ISOLATED, Optional.empty());
    }
}
