package io.atrium.vmm.qemu;

import java.nio.file.Path;

/**
 * A QEMU process found running in a run directory that no {@link QemuLauncher} of this JVM
 * manages (left over from a previous broker process started with {@code keepVmsOnExit}).
 * Re-attach with {@link QemuLauncher#adopt(Path)}.
 *
 * @param name VM name (the run directory's name)
 * @param runDir the VM's run directory
 * @param pid the QEMU process id (from {@code runDir/qemu.pid}, verified against /proc)
 */
public record AdoptableVm(String name, Path runDir, long pid) {
}
