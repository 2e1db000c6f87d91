package io.atrium.vmm;

/** Which QEMU accelerator to use. {@link #AUTO} is resolved by {@code io.atrium.vmm.qemu.AcceleratorProbe}. */
public enum Accelerator {
    /** KVM when the host has usable hardware KVM, TCG otherwise. */
    AUTO,
    /** Hardware virtualization ({@code -accel kvm -cpu host}); fails if unusable. */
    KVM,
    /** QEMU's software emulator ({@code -accel tcg}); always available, slower. */
    TCG
}
