package io.atrium.vmm.testing;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import java.nio.file.Path;

/**
 * Main class run in a child JVM by tests that check QEMU does not outlive a JVM killed with
 * SIGKILL: starts one console VM, prints {@code QEMU_PID=<pid>} and waits to be killed.
 * Arguments: data dir, VM name.
 */
public final class ChildJvmVm {

    private ChildJvmVm() {
    }

    public static void main(String[] args) throws InterruptedException {
        VmmProperties properties = VmmProperties.defaults(Path.of(args[0])).withAccel(QemuFixture.requestedAccelerator());
        VmmHost host = new VmmHost(properties, new AcceleratorProbe().resolve(properties.accel()),
                new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())), new QemuLauncher(properties));
        QemuVm vm = host.startConsole(args[1]);
        System.out.println("QEMU_PID=" + vm.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
