/**
 * The image library's work on this host: staging uploads, validating and converting uploaded disks
 * ({@link io.atrium.vmm.library.DiskValidator}: an uploaded disk is hostile until proven otherwise), the store of
 * versions (read-only golden disks, ISOs, UEFI variable templates), and the boot test. The library's state (images,
 * versions, their states and logs, pool pins, rollouts) is the broker's; this package keeps files. Depends on the
 * root package, {@code api}, {@code process}, {@code disk}, {@code image}, {@code qemu}, {@code qga} and
 * {@code clone}.
 */
package io.atrium.vmm.library;
