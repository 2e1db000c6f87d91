/**
 * QEMU processes: the validated {@link io.atrium.vmm.qemu.VmSpec}, the command line as a pure
 * function of it, the run directory's file names ({@link io.atrium.vmm.qemu.RunDir}), starting,
 * adopting and reaping QEMU ({@link io.atrium.vmm.qemu.QemuLauncher}), one running VM
 * ({@link io.atrium.vmm.qemu.QemuVm}) and the accelerator rule. A machine may carry one
 * virtio-serial controller, with the QEMU guest agent's port on it ({@code VmSpec.guestAgent}; the
 * client for that channel is {@code io.atrium.vmm.qga}). Depends on the root package,
 * {@code process} and {@code qmp}.
 */
package io.atrium.vmm.qemu;
