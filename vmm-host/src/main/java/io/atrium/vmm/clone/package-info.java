/**
 * Instant clones: a golden VM's saved running state ({@link io.atrium.vmm.clone.Template}) and
 * clones started from it with their own identity ({@link io.atrium.vmm.clone.InstantClones}).
 * Depends on the root package, {@code disk}, {@code image}, {@code qemu} and {@code qmp}.
 */
package io.atrium.vmm.clone;
