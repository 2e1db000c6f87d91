package io.atrium.vmm;

/**
 * The one error type of the VMM host module. Every failure the module reports to callers
 * (QEMU failing to start, qemu-img errors, QMP errors and timeouts, image build problems, an
 * unusable accelerator, a host tool missing, failing or hanging) is a {@code VmmException} or one of
 * its subtypes (in {@code qmp}: {@code QmpTimeoutException}, {@code QmpErrorException}; in
 * {@code process}: {@code ProcessTimeoutException}, {@code ProcessFailedException},
 * {@code ToolNotFoundException}), with a message meant for an operator.
 *
 * <p>This package ({@code io.atrium.vmm}) holds only what every feature package needs and depends
 * on none of them: this exception, {@link VmmProperties} and {@link Accelerator}.
 */
public class VmmException extends RuntimeException {

    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
