/**
 * The contract between a broker and a VM host: the <b>machines seam</b>.
 *
 * <p>Everything that crosses it is a value that could go over a wire (Firecracker's
 * {@code VmmAction}/{@code VmmData}): commands are records ({@link io.atrium.vmm.api.MachineSpec}),
 * replies are records ({@link io.atrium.vmm.api.MachineInfo}, {@link io.atrium.vmm.api.ConsoleEndpoint}),
 * and what happens later arrives as {@link io.atrium.vmm.api.MachineEvent}s on one subscription per
 * client. No broker entities, no per-call callbacks, no {@code Path}s and no live objects cross it.
 *
 * <p>{@link io.atrium.vmm.api.MachineHost} has one implementation per kind of transport: the
 * in-process QEMU host ({@code io.atrium.vmm.host.LocalMachineHost}) today, a client of a remote
 * host agent later. This package depends on nothing else in Atrium.
 */
package io.atrium.vmm.api;
