package io.atrium.vmm.qemu;

import io.atrium.vmm.Accelerator;
import java.util.Objects;

/**
 * The accelerator actually used for VMs, with the reason it was chosen (for logs and the admin UI).
 *
 * @param accel {@link Accelerator#KVM} or {@link Accelerator#TCG}, never {@link Accelerator#AUTO}
 * @param reason why this accelerator was picked
 */
public record ResolvedAccelerator(Accelerator accel, String reason) {

    public ResolvedAccelerator {
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(reason, "reason");
        if (accel == Accelerator.AUTO) {
            throw new IllegalArgumentException("a resolved accelerator is KVM or TCG, not AUTO");
        }
    }

    public static ResolvedAccelerator tcg(String reason) {
        return new ResolvedAccelerator(Accelerator.TCG, reason);
    }

    public static ResolvedAccelerator kvm(String reason) {
        return new ResolvedAccelerator(Accelerator.KVM, reason);
    }

    public boolean isKvm() {
        return accel == Accelerator.KVM;
    }
}
