package io.atrium.vmm.testing;

import io.atrium.vmm.AcceleratorProbe;
import io.atrium.vmm.QemuLauncher;
import io.atrium.vmm.QemuVm;
import io.atrium.vmm.VmmHost;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.image.GuestImages;
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
