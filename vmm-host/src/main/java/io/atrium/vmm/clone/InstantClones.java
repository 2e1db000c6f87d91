package io.atrium.vmm.clone;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.Progress;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.NetBackend;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Instant clones: a golden VM is booted once per image and VM shape, its running state (memory and
 * device state, as a QEMU migration stream) is saved together with the disk state of that instant,
 * and every desktop starts from that state instead of booting.
 *
 * <pre>{@code
 * Template t = clones.prepare("console", images.console(), 1, 256);   // boots once, cached on disk
 * QemuVm vm = clones.startFromTemplate(t, "desk-7", VmSpec.randomMac()); // ~1 s, own hostname + MAC
 * vm = clones.refresh(t, vm);                                          // logoff: clean desktop again
 * }</pre>
 *
 * <p>Invariants:
 * <ul>
 *   <li><b>The template base is read-only.</b> {@code templates/<key>/disk.qcow2} is mode 0444
 *       and only the backing file of clone overlays; it is the golden VM's overlay frozen at the
 *       instant its state was saved (the VM was paused, the state streamed, QEMU quit, so every
 *       write is flushed and none follows).</li>
 *   <li><b>A clone's overlay always matches the template's saved memory.</b> A clone never reuses
 *       an overlay: {@link #startFromTemplate} deletes any old one and creates a fresh, empty
 *       linked clone of the base before the state is loaded.</li>
 *   <li><b>Identity is applied before the clone is handed out.</b> {@link #startFromTemplate}
 *       returns only after the guest agent acknowledged the new hostname and MAC (read back from
 *       the guest kernel) and QEMU's NIC reports the new MAC; otherwise the clone is killed and a
 *       {@link VmmException} thrown.</li>
 * </ul>
 * Thread safe; prepare is serialized per data directory (also across processes, by a file lock).
 */
public final class InstantClones {

    private static final Logger log = LoggerFactory.getLogger(InstantClones.class);
    /** Bump when the template recipe changes in a way that changes the saved state. */
    /** 2: the golden VM's NIC unplugged; 3: a vmgenid device; 4: virtio-vga and a virtio tablet (was std VGA), and the vdagent flag. */
    static final String RECIPE_VERSION = "atrium-template/4";
    /** Hostname of golden VMs (a clone's agent replaces it). */
    public static final String GOLDEN_NAME = "atrium-golden";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final VmmProperties properties;
    private final ResolvedAccelerator accelerator;
    private final QemuLauncher launcher;
    private final Duration prepareTimeout;
    private final Duration settle;
    private final Progress progress;

    /**
     * @param properties data directory (templates in {@code dataDir/templates}, VMs in
     *     {@code dataDir/run}) and qemu-img
     * @param accelerator the accelerator golden VMs and clones run under
     * @param launcher starts golden VMs and clones
     */
    public InstantClones(VmmProperties properties, ResolvedAccelerator accelerator, QemuLauncher launcher) {
        this(properties, accelerator, launcher, new Progress());
    }

    /** @param progress where template preparations report their steps */
    public InstantClones(VmmProperties properties, ResolvedAccelerator accelerator, QemuLauncher launcher,
            Progress progress) {
        this(properties, accelerator, launcher, Duration.ofMinutes(5), Duration.ofMillis(1500), progress);
    }

    /**
     * @param prepareTimeout how long the golden VM may take to reach its ready marker
     * @param settle pause after the ready marker before the state is saved (lets the screen draw)
     */
    public InstantClones(VmmProperties properties, ResolvedAccelerator accelerator, QemuLauncher launcher,
            Duration prepareTimeout, Duration settle) {
        this(properties, accelerator, launcher, prepareTimeout, settle, new Progress());
    }

    public InstantClones(VmmProperties properties, ResolvedAccelerator accelerator, QemuLauncher launcher,
            Duration prepareTimeout, Duration settle, Progress progress) {
        this.progress = Objects.requireNonNull(progress, "progress");
        this.properties = Objects.requireNonNull(properties, "properties");
        this.accelerator = Objects.requireNonNull(accelerator, "accelerator");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.prepareTimeout = Objects.requireNonNull(prepareTimeout, "prepareTimeout");
        this.settle = Objects.requireNonNull(settle, "settle");
    }

    /** {@code dataDir/templates}. */
    public Path templatesDir() {
        return properties.dataDir().resolve("templates");
    }

    /** {@link #prepare(String, GuestImage, int, int)} with the image's recommended RAM and 1 vCPU. */
    public Template prepare(GuestImage image) {
        return prepare(image.name(), image, 1, image.memoryMb());
    }

    /**
     * Returns the template for this image and VM shape, making it if it does not exist yet: boots
     * a golden VM on its own overlay (with the QEMU guest agent channel if the image runs
     * {@code qemu-ga}: that is part of the template's key, and every clone has it exactly when the
     * template has), waits for the image's ready marker and the guest agents, pauses
     * it, streams its state to {@code templates/<key>/state}, quits QEMU and freezes the overlay as
     * the read-only base. Takes one boot (seconds for the console guest, about a minute for the X
     * desktop under TCG); a cached template is returned in milliseconds.
     *
     * @param imageName name used in logs and the description
     * @param vcpus vCPUs of the golden VM and of every clone
     * @param memoryMb RAM of the golden VM and of every clone; at least the image's recommendation
     */
    public Template prepare(String imageName, GuestImage image, int vcpus, int memoryMb) {
        Objects.requireNonNull(image, "image");
        int memory = Math.max(memoryMb, image.memoryMb());
        ResolvedAccelerator accel = accelerator;
        String accelOptions = accel.isKvm() ? "" : image.tcgOptions();
        String append = image.appendFor(GOLDEN_NAME);
        boolean guestAgent = image.guestAgent();
        if (!image.instantCloneCapable()) {
            throw new VmmException("image " + imageName + " has no agent that can give a clone its identity: it can "
                    + "only be cold-booted");
        }
        boolean vdagent = image.vdagent();
        String key = key(image, imageName, vcpus, memory, accel, accelOptions, append, guestAgent, vdagent);
        Template template = new Template(key, image, templatesDir().resolve(key), vcpus, memory, accel, accelOptions,
                append, GOLDEN_NAME, guestAgent, vdagent);
        if (Files.isRegularFile(template.directory().resolve(Template.DESCRIPTION))) {
            return template;
        }
        DirectoryCache.ensure(templatesDir(), key, Template.DESCRIPTION, "instant-clone template for image " + imageName,
                tmp -> {
                    try (Progress.Task task = progress.begin(Progress.Kind.TEMPLATE, imageName, TEMPLATE_STEPS.size(),
                            TEMPLATE_STEPS.getFirst())) {
                        saveGolden(template, tmp, imageName, task);
                    }
                });
        return template;
    }

    /**
     * Removes every template made from the image whose hash (a library version's id) is {@code imageHash}: no clone
     * may run from them any more (the caller makes sure).
     *
     * @return how many were removed
     */
    public int deleteTemplatesOf(String imageHash) {
        Path dir = templatesDir();
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            for (Path t : entries.filter(Files::isDirectory).toList()) {
                Path description = t.resolve(Template.DESCRIPTION);
                if (Files.isRegularFile(description)
                        && imageHash.equals(JSON.readTree(Files.readString(description)).path("imageHash").asString())) {
                    Files.delete(description);
                    DirectoryCache.deleteTree(t);
                    removed++;
                }
            }
        } catch (IOException e) {
            throw new VmmException("cannot remove the templates of " + imageHash + ": " + e.getMessage(), e);
        }
        return removed;
    }

    /**
     * The template directory's name: {@code <image hash prefix>-<spec hash prefix>}, where the spec
     * hash covers everything that shapes the saved machine (image, vCPUs, memory, accelerator and
     * its options, kernel command line, whether it has the guest agent channel and whether clones get the vdagent
     * port).
     */
    static String key(GuestImage image, String imageName, int vcpus, int memoryMb, ResolvedAccelerator accel,
            String accelOptions, String append, boolean guestAgent, boolean vdagent) {
        String specHash = sha256(String.join("\n", RECIPE_VERSION, image.hash(), imageName,
                Integer.toString(vcpus), Integer.toString(memoryMb), accel.accel().name(), accelOptions, append,
                "guestAgent=" + guestAgent, "firmware=" + image.firmware(), "disk-boot=" + image.bootsFromDisk(),
                "identity=" + image.identity(), "vdagent=" + vdagent));
        return image.hash().substring(0, Math.min(16, image.hash().length())) + "-" + specHash.substring(0, 12);
    }

    /** The steps of a template preparation, as {@link Progress} reports them. */
    static final List<String> TEMPLATE_STEPS = List.of("starting the golden desktop", "waiting for its agents",
            "saving its running state");

    private void saveGolden(Template template, Path tmp, String imageName, Progress.Task task) throws IOException {
        Path disk = tmp.resolve(Template.BASE_DISK);
        Disks.createLinkedClone(properties.qemuImgBinary(), template.image().goldenDisk(), disk);
        RunDir goldenRunDir = RunDir.of(properties, "tpl-" + template.key().substring(template.key().length() - 12));
        Path runDir = goldenRunDir.dir();
        DirectoryCache.deleteTree(runDir);
        VmSpec spec = template.image().vmSpec(GOLDEN_NAME, template.append(), template.accel(), runDir)
                .vcpus(template.vcpus()).memoryMb(template.memoryMb()).accelOptions(template.accelOptions())
                .guestAgent(template.guestAgent()).network(new NetBackend.Unplugged())
                // never the vdagent port: QEMU 7.2 cannot migrate its chardev (clones get it after the restore)
                .vdagent(false).disk(disk).macAddress(VmSpec.randomMac()).build();
        if (spec.efiVars() != null) {
            Disks.createVarStore(template.image().efiVars(), spec.efiVars());
        }
        log.info("template {}: booting golden VM of image {}", template.key(), imageName);
        try (QemuVm vm = launcher.start(spec)) {
            long boot = System.nanoTime();
            if (template.image().identity() == GuestImage.Identity.GUEST_AGENT) {
                // A disk-boot image: up at its first real frame with the guest agent answering.
                GuestReadiness.Report up = GuestReadiness.await(vm, true, prepareTimeout);
                if (!up.agent()) {
                    throw new VmmException("the golden VM of " + imageName + " came up without its guest agent");
                }
                task.step(2, TEMPLATE_STEPS.get(1));
            } else {
                vm.awaitSerialOutput(template.image().readyMarker(), prepareTimeout);
                task.step(2, TEMPLATE_STEPS.get(1));
                vm.awaitSerialOutput(GuestImage.AGENT_READY, Duration.ofSeconds(30));
                if (template.guestAgent()) {
                    awaitGuestAgent(vm, goldenRunDir);
                }
            }
            sleep(settle.toMillis());
            log.info("template {}: golden VM ready after {} ms, saving its state", template.key(),
                    (System.nanoTime() - boot) / 1_000_000);
            task.step(3, TEMPLATE_STEPS.get(2));
            vm.qmp().execute("stop");
            saveState(vm, goldenRunDir.migrateSocket(), tmp.resolve(Template.STATE_FILE));
            try {
                vm.qmp().execute("quit", null, Duration.ofSeconds(5));
            } catch (VmmException e) {
                log.debug("quit: {}", e.getMessage());
            }
            vm.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while preparing template " + template.key(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new VmmException("golden VM of template " + template.key() + " did not exit after quit", e);
        }
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("r--r--r--"));
        ObjectNode description = JSON.createObjectNode();
        description.put("recipe", RECIPE_VERSION);
        description.put("image", imageName);
        description.put("imageHash", template.image().hash());
        description.put("vcpus", template.vcpus());
        description.put("memoryMb", template.memoryMb());
        description.put("accel", template.accel().accel().name());
        description.put("accelOptions", template.accelOptions());
        description.put("append", template.append());
        description.put("guestAgent", template.guestAgent());
        description.put("firmware", template.image().firmware().name());
        description.put("identity", template.image().identity().name());
        description.put("vdagent", template.vdagent());
        description.put("stateBytes", Files.size(tmp.resolve(Template.STATE_FILE)));
        description.put("preparedAt", java.time.Instant.now().toString());
        Files.writeString(tmp.resolve(Template.DESCRIPTION),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(description) + "\n");
        DirectoryCache.deleteTree(runDir);
    }

    /**
     * A template with the guest agent channel is saved only with an agent that answers: the image
     * said it started {@code qemu-ga}, and it answered a sync and a ping. The connection is closed
     * again before the state is saved, so clones start with nobody on the host end.
     */
    private static void awaitGuestAgent(QemuVm vm, RunDir runDir) {
        vm.awaitSerialOutput(GuestImage.GUEST_AGENT_STARTED, Duration.ofSeconds(30));
        try (QgaClient qga = QgaClient.connect(runDir.qgaSocket(), Duration.ofSeconds(60))) {
            qga.ping();
        } catch (VmmException e) {
            throw new VmmException("VM " + vm.name() + ": the QEMU guest agent does not answer: " + e.getMessage()
                    + "\n--- serial.log ---\n" + vm.serialLogTail(20), e);
        }
    }

    /** Streams the (paused) VM's state through a unix socket this JVM listens on into {@code target}. */
    private static void saveState(QemuVm vm, Path socket, Path target) throws IOException {
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Long> copied = new CompletableFuture<>();
            Thread.ofVirtual().name("template-save-" + vm.name()).start(() -> {
                try (SocketChannel in = server.accept();
                        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.WRITE)) {
                    long total = 0;
                    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
                    while (in.read(buffer) >= 0) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            total += out.write(buffer);
                        }
                        buffer.clear();
                    }
                    out.force(true);
                    copied.complete(total);
                } catch (IOException | RuntimeException e) {
                    copied.completeExceptionally(e);
                }
            });
            vm.qmp().execute("migrate-set-parameters", Map.of("max-bandwidth", 8L << 30));
            vm.qmp().execute("migrate", Map.of("uri", "unix:" + socket));
            awaitMigration(vm, Duration.ofMinutes(2));
            long bytes = copied.get(30, TimeUnit.SECONDS);
            log.info("VM {}: saved {} bytes of state to {}", vm.name(), bytes, target);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while saving the state of " + vm.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new VmmException("saving the state of " + vm.name() + " failed: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    /**
     * Starts a clone of {@code template} named {@code name} (also its hostname) with NIC MAC
     * {@code macAddress}: creates a fresh linked overlay ({@link RunDir#overlay()}) over the
     * template base (an old overlay is discarded), starts QEMU with {@code -incoming defer}, loads the
     * saved state, resumes the guest and applies the identity through the guest agent. Returns only
     * when the guest confirmed hostname and MAC.
     *
     * @throws VmmException if any step fails; the clone is then killed
     */
    public QemuVm startFromTemplate(Template template, String name, String macAddress) {
        return startFromTemplate(template, template.cloneSpec(name, macAddress, RunDir.of(properties, name).dir()));
    }

    /**
     * Like {@link #startFromTemplate(Template, String, String)} for a spec from
     * {@link Template#cloneSpec}; its disk is (re)created as a fresh overlay of the template base.
     */
    public QemuVm startFromTemplate(Template template, VmSpec spec) {
        Objects.requireNonNull(template, "template");
        if (!spec.incoming() || spec.disk() == null || spec.memoryMb() != template.memoryMb()
                || spec.vcpus() != template.vcpus() || spec.guestAgent() != template.guestAgent()
                || spec.vdagent() != template.vdagent()) {
            throw new IllegalArgumentException("spec does not match template " + template.key()
                    + "; build it with Template.cloneSpec");
        }
        if (!Files.isRegularFile(template.directory().resolve(Template.DESCRIPTION))) {
            throw new VmmException("template " + template.directory() + " is not prepared");
        }
        if (spec.layout().livePid().isPresent()) {
            throw new VmmException("a QEMU process already runs in " + spec.runDir());
        }
        Disks.delete(spec.disk());
        Disks.createLinkedClone(properties.qemuImgBinary(), template.baseDisk(), spec.disk());
        if (spec.efiVars() != null) {
            // any store of the right size: the restored state writes the template's variables back into it
            Disks.delete(spec.efiVars());
            Disks.createVarStore(template.image().efiVars(), spec.efiVars());
        }
        QemuVm vm = launcher.start(spec);
        try {
            loadState(vm, spec.incomingSocket(), template.stateFile());
            JsonNode status = vm.qmp().execute("query-status");
            if (!"running".equals(status.path("status").asString())) {
                vm.qmp().execute("cont");
            }
            if (template.image().identity() == GuestImage.Identity.GUEST_AGENT) {
                GuestAgentIdentity.apply(vm, spec, Duration.ofSeconds(60));
            } else {
                applyIdentity(vm, spec, Duration.ofSeconds(30));
            }
            if (spec.vdagent()) {
                vm.plugVdagent(); // after the restore: QEMU 7.2 cannot migrate the vdagent chardev
            }
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    /**
     * Refresh on logoff: kills the clone, discards its overlay and starts it again from the
     * template with the same name and MAC. The returned VM replaces {@code clone}.
     */
    public QemuVm refresh(Template template, QemuVm clone) {
        VmSpec spec = Objects.requireNonNull(clone.spec(), "clone.spec() (adopted VMs cannot be refreshed)");
        clone.close();
        Disks.delete(spec.disk());
        return startFromTemplate(template, spec.toBuilder().incoming(true).build());
    }

    private static void loadState(QemuVm vm, Path socket, Path state) {
        vm.qmp().execute("migrate-incoming", Map.of("uri", "unix:" + socket));
        try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
                FileChannel in = FileChannel.open(state, StandardOpenOption.READ)) {
            out.connect(UnixDomainSocketAddress.of(socket));
            long size = in.size();
            long position = 0;
            while (position < size) {
                position += in.transferTo(position, size - position, out);
            }
            out.shutdownOutput();
            awaitMigration(vm, Duration.ofMinutes(2));
        } catch (IOException e) {
            throw new VmmException("VM " + vm.name() + ": loading state " + state + " failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // QEMU removes it too
            }
        }
    }

    private static void awaitMigration(QemuVm vm, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode info = vm.qmp().execute("query-migrate");
            String status = info.path("status").asString("");
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new VmmException("VM " + vm.name() + ": migration " + status
                        + ": " + info.path("error-desc").asString("") + "\n--- qemu.log ---\n"
                        + vm.qemuLogTail(20));
                default -> {
                    // setup, active, device, ... or nothing yet on the incoming side
                }
            }
            if (!vm.isRunning()) {
                throw new VmmException("VM " + vm.name() + " exited during migration\n--- qemu.log ---\n"
                        + vm.qemuLogTail(20));
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException("VM " + vm.name() + ": migration not completed within " + timeout.toMillis()
                        + " ms (status '" + status + "')");
            }
            sleep(10);
        }
    }

    /**
     * Sends {@code identity <name> <mac>} to the guest agent and waits for
     * {@code ack identity <name> <mac>}; then checks QEMU's view of the NIC's MAC.
     */
    static void applyIdentity(QemuVm vm, VmSpec spec, Duration timeout) {
        String expected = "ack identity " + spec.name() + " " + spec.macAddress();
        String reply;
        try (SocketChannel agent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            agent.connect(UnixDomainSocketAddress.of(spec.agentSocket()));
            agent.write(ByteBuffer.wrap(("identity " + spec.name() + " " + spec.macAddress() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> readLine(agent, "ack identity"),
                    command -> Thread.ofVirtual().start(command));
            reply = line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new VmmException("VM " + vm.name() + ": guest agent did not acknowledge the identity within "
                    + timeout.toMillis() + " ms\n--- serial.log ---\n" + vm.serialLogTail(20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while applying the identity of " + vm.name(), e);
        } catch (IOException | ExecutionException e) {
            throw new VmmException("VM " + vm.name() + ": guest agent: " + e.getMessage(), e);
        }
        if (!reply.equals(expected)) {
            throw new VmmException("VM " + vm.name() + ": guest agent answered '" + reply + "', expected '" + expected + "'");
        }
        String qemuMac = vm.qmp().execute("query-rx-filter").path(0).path("main-mac").asString("");
        if (!qemuMac.equalsIgnoreCase(spec.macAddress())) {
            throw new VmmException("VM " + vm.name() + ": QEMU reports NIC MAC " + qemuMac + ", expected "
                    + spec.macAddress());
        }
        log.info("VM {}: identity applied (hostname {}, MAC {})", vm.name(), spec.name(), spec.macAddress());
    }

    /** Reads lines until one starts with {@code prefix} (skipping noise such as an echo). */
    private static String readLine(SocketChannel channel, String prefix) {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        try {
            while (true) {
                one.clear();
                if (channel.read(one) < 0) {
                    throw new VmmException("guest agent channel closed; got '" + line + "'");
                }
                char c = (char) (one.get(0) & 0xff);
                if (c == '\n') {
                    String text = line.toString().strip();
                    if (text.startsWith(prefix) || text.startsWith("error")) {
                        return text;
                    }
                    line.setLength(0);
                } else {
                    line.append(c);
                }
            }
        } catch (IOException e) {
            throw new VmmException("reading from the guest agent failed: " + e.getMessage(), e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted", e);
        }
    }
}
