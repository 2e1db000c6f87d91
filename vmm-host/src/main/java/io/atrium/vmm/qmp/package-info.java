/**
 * The QEMU Machine Protocol: {@link io.atrium.vmm.qmp.QmpClient} over a VM's unix socket, replies
 * matched to commands by id, events to listeners, timeouts and QMP errors as distinct exceptions;
 * {@link io.atrium.vmm.qmp.QmpFrameDecoder}, the JSON framing the guest agent client shares.
 * Depends only on the root package.
 */
package io.atrium.vmm.qmp;
