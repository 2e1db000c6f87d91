package io.atrium.vmm.testing;

import io.atrium.vmm.qemu.QemuVm;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Types shell commands into a console guest's tty1 (as a user would, through QEMU's keyboard) and reads their output
 * back from the serial log: each command runs as {@code { <cmd>; } >/dev/ttyS0 2>&1}, followed by an end marker with
 * its exit status.
 */
public final class GuestConsole {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final QemuVm vm;

    public GuestConsole(QemuVm vm) {
        this.vm = vm;
    }

    public QemuVm vm() {
        return vm;
    }

    /** What a command printed and its exit status. */
    public record Result(String output, int exitCode) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code command} in the guest's shell and waits up to {@code timeout} for it to end. The output is what
     * the serial log got from the moment of typing to the end marker (the guest's own messages included).
     */
    public Result run(String command, Duration timeout) {
        int n = COUNTER.incrementAndGet();
        String end = "@E" + n + "@";
        int from = vm.serialLogText().length();
        long t0 = System.nanoTime();
        vm.typeText("{ " + command + "; } >/dev/ttyS0 2>&1;echo " + end + " $? >/dev/ttyS0\n");
        long t1 = System.nanoTime();
        vm.awaitSerialOutput(end, timeout);
        System.err.printf("[GuestConsole] %s: typed %d ms, ran %d ms: %s%n", vm.name(), (t1 - t0) / 1_000_000,
                (System.nanoTime() - t1) / 1_000_000, command);
        String log = vm.serialLogText();
        int to = log.indexOf(end, from);
        Matcher rc = Pattern.compile(Pattern.quote(end) + " (\\d+)").matcher(log);
        int exit = rc.find(to) ? Integer.parseInt(rc.group(1)) : -1;
        return new Result(log.substring(from, to).strip(), exit);
    }

    /** Waits for the guest's DHCP lease (the image's {@code atrium-net: <nic> bound <ip>/<prefix>}) and returns the address. */
    public String awaitLease(Duration timeout) {
        vm.awaitSerialOutput("atrium-net: eth0 bound ", timeout);
        Matcher m = Pattern.compile("atrium-net: eth0 bound (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(vm.serialLogText());
        String ip = null;
        while (m.find()) {
            ip = m.group(1);
        }
        if (ip == null) {
            throw new AssertionError(vm.name() + ": no lease in the serial log");
        }
        return ip;
    }
}
