/**
 * Disks and built-once directories: qcow2 linked clones over read-only bases
 * ({@link io.atrium.vmm.disk.Disks}) and content-addressed directories built atomically under a
 * lock ({@link io.atrium.vmm.disk.DirectoryCache}). Depends on the root package and {@code process}.
 */
package io.atrium.vmm.disk;
