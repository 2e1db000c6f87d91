package io.atrium.vmm.gpu;

/** nvidia-smi output could not be understood. */
public class NvidiaSmiParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NvidiaSmiParseException(String message) {
        super(message);
    }

    public NvidiaSmiParseException(String message, Throwable cause) {
        super(message, cause);
    }
}
