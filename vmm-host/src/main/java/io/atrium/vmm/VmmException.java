package io.atrium.vmm;

/**
 * The one error type of the VMM host module. Every failure the module reports to callers
 * (QEMU failing to start, qemu-img errors, QMP errors and timeouts, image build problems, an
 * unusable accelerator) is a {@code VmmException} or one of its subtypes
 * ({@link QmpTimeoutException}, {@link QmpErrorException}), with a message meant for an operator.
 */
public class VmmException extends RuntimeException {

    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
