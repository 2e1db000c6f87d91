/**
 * Instant clones: a golden VM's saved running state ({@link io.atrium.vmm.clone.Template}) and
 * clones started from it with their own identity ({@link io.atrium.vmm.clone.InstantClones}); a
 * template with the QEMU guest agent channel is saved only once the agent answered.
 * Depends on the root package, {@code disk}, {@code image}, {@code qemu}, {@code qga} and {@code qmp}.
 */
package io.atrium.vmm.clone;
