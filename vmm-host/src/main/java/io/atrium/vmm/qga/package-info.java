/**
 * The QEMU guest agent ({@code qemu-ga}): {@link io.atrium.vmm.qga.QgaClient} over a VM's
 * guest agent channel ({@code runDir/qga.sock}, the virtio-serial port
 * {@code org.qemu.guest_agent.0} that {@code VmSpec.guestAgent} adds). Resynchronises the channel
 * with {@code guest-sync-delimited}, matches replies by id, keeps timeouts, error replies, refused
 * replies and an absent agent apart, and treats the guest as untrusted (frame limit, checked fields,
 * capped output, bounded streaming file transfer). Depends on the root package and on
 * {@code qmp} (its JSON frame decoder).
 */
package io.atrium.vmm.qga;
