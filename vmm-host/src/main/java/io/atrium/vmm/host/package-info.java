/**
 * The VMM host as one object: the {@link io.atrium.vmm.host.VmmHost} facade over images, QEMU
 * and instant clones, and its Spring Boot auto-configuration. The only package that may depend on
 * every feature package; none depends on it.
 */
package io.atrium.vmm.host;
