package io.atrium.vmm.gpu;

/** A GPU request (allocation or mode switch) cannot be granted; {@link #getMessage()} says why. */
public class GpuRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GpuRefusedException(String reason) {
        super(reason);
    }

    /** The reason, meant for the admin UI and the desktop's start failure. */
    public String reason() {
        return getMessage();
    }
}
