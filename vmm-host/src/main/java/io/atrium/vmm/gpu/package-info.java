/**
 * GPU sharing for desktops: inventory of the host's NVIDIA GPUs and accounting of the shares (MIG GPU instances,
 * time-sliced vGPU slices, whole GPUs) that desktops hold.
 *
 * <h2>Inventory</h2>
 * {@link io.atrium.vmm.gpu.NvidiaSmiInventory} reads the real GPUs with read-only nvidia-smi commands
 * ({@code --query-gpu}, {@code -q -x}, {@code mig -lgip}, {@code mig -lgipp}) run through an injected
 * {@link io.atrium.vmm.gpu.CommandRunner}, and parses them with tolerant line-oriented parsers
 * ({@link io.atrium.vmm.gpu.QueryGpuCsvParser}, {@link io.atrium.vmm.gpu.MigProfileTableParser},
 * {@link io.atrium.vmm.gpu.MigPlacementParser}) and a DOM parser ({@link io.atrium.vmm.gpu.NvidiaSmiXmlParser}).
 * {@link io.atrium.vmm.gpu.SimulatedInventory} builds GPUs for hosts without any from output captured on a real
 * GPU model and shipped under {@code io/atrium/vmm/gpu/models/<model>/}, through the same parsers.
 * {@link io.atrium.vmm.gpu.GpuProperties} ({@code atrium.vmm.gpu.*}) chooses between them: {@code auto},
 * {@code nvidia-smi}, {@code none} or a simulated spec (default {@code 2 x h100-80gb-hbm3}).
 * No GPU model is hard-coded: profile names, sizes, instance limits and placements all come from nvidia-smi.
 * Every {@link io.atrium.vmm.gpu.GpuDevice} and {@link io.atrium.vmm.gpu.GpuSlice} says whether it is
 * {@code simulated}.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li><b>MIG geometry</b> of a GPU: its memory slices are one past the last slice any placement touches
 *       ({@code 7g.80gb} at {@code {0}:8} gives 8 on H100); its compute slices are the {@code N} of the largest
 *       {@code Ng.} profile (7 on H100).</li>
 *   <li><b>MIG placement</b> ({@link io.atrium.vmm.gpu.MigAllocator}): an instance of a profile starts at one of
 *       the starts {@code -lgipp} lists and occupies {@code [start, start + size)} memory slices; instances never
 *       share a memory slice; their compute slices sum to at most the GPU's; at most {@code Total} instances of a
 *       profile exist (the {@code Free/Total} column of {@code -lgip}).</li>
 *   <li><b>Time-sliced</b> ({@link io.atrium.vmm.gpu.TimeSlicedAllocator}): one profile size per GPU at a time;
 *       at most {@code F / N} instances of {@code ts-<N>gb} where {@code F} is the framebuffer in GiB rounded;
 *       each holds a distinct slot.</li>
 *   <li><b>Whole GPU</b>: in mode {@code NONE} a GPU goes to at most one desktop (profile {@code full}).</li>
 *   <li><b>Modes</b> ({@link io.atrium.vmm.gpu.GpuMode}) change only while a GPU holds no slice. They are
 *       accounting state: nothing here changes hardware. A real GPU may only be in MIG mode while its hardware
 *       MIG mode is enabled, and only in the other modes while it is not; switching the hardware is an
 *       administrator's job ({@code nvidia-smi -i <index> -mig 1|0} and a GPU reset), followed by a new
 *       discovery.</li>
 *   <li><b>Restore</b>: {@link io.atrium.vmm.gpu.GpuPool#restore} applies persisted slices all or nothing; a
 *       slice naming another GPU UUID, a disallowed or overlapping placement, a mixed time-sliced size or a mode
 *       the hardware does not allow is rejected with its reason and nothing changes.</li>
 *   <li><b>Concurrency</b>: {@link io.atrium.vmm.gpu.GpuPool} serialises every operation under one lock;
 *       allocators are not thread-safe on their own; snapshots and slices are immutable.</li>
 * </ul>
 *
 * <h2>Placement policy</h2>
 * {@link io.atrium.vmm.gpu.BestFitMigPolicy} picks, over all GPUs in MIG mode, the placement that removes the
 * fewest still-placeable instances of the largest profiles (lexicographic, largest profile first), preferring
 * fuller GPUs on ties. {@link io.atrium.vmm.gpu.FirstFitMigPolicy} (lowest GPU, lowest start) exists for
 * comparison.
 *
 * <h2>Devices</h2>
 * {@link io.atrium.vmm.gpu.GpuQemuArgs} turns a real slice into QEMU arguments: VFIO passthrough by PCI address for
 * a whole GPU, a vGPU mediated device named by the slice id for MIG and time-sliced slices; simulated slices give
 * none. Creating the mdev and binding {@code vfio-pci} are host setup outside this package.
 */
package io.atrium.vmm.gpu;
