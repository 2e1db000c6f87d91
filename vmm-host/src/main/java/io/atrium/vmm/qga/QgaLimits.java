package io.atrium.vmm.qga;

/**
 * What the client accepts from and sends to an (untrusted) guest agent.
 *
 * @param maxFrameBytes largest reply accepted, in bytes; a larger one is refused with
 *     {@link QgaProtocolException} (and skipped: the client resynchronises). It bounds the memory
 *     one reply can take, so a {@code guest-exec} output over about 3/4 of it cannot be fetched
 * @param maxOutputBytes most bytes kept of each of a guest process's standard output and standard
 *     error ({@link QgaExecResult}, whose flags say when more was cut off)
 * @param maxInputBytes most bytes of standard input a caller may hand to a guest process
 * @param chunkBytes size of one {@code guest-file-write} / {@code guest-file-read} chunk; the base64
 *     of one chunk must fit a frame
 */
public record QgaLimits(int maxFrameBytes, int maxOutputBytes, int maxInputBytes, int chunkBytes) {

    /** 16 MiB frames, 1 MiB of output per stream, 1 MiB of input, 64 KiB chunks. */
    public static final QgaLimits DEFAULTS = new QgaLimits(16 << 20, 1 << 20, 1 << 20, 64 << 10);

    /** Room in a frame besides the base64 payload (the JSON around it). */
    static final int FRAME_OVERHEAD = 1024;

    public QgaLimits {
        if (maxFrameBytes < 4096) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 4096: " + maxFrameBytes);
        }
        if (maxOutputBytes < 0 || maxInputBytes < 0) {
            throw new IllegalArgumentException("maxOutputBytes and maxInputBytes must not be negative");
        }
        if (maxInputBytes > 16 << 20) {
            throw new IllegalArgumentException("maxInputBytes must be at most 16 MiB: " + maxInputBytes);
        }
        if (chunkBytes < 1 || base64Length(chunkBytes) + FRAME_OVERHEAD > maxFrameBytes) {
            throw new IllegalArgumentException("chunkBytes must be positive and its base64 must fit a frame of "
                    + maxFrameBytes + " bytes: " + chunkBytes);
        }
    }

    /** The length of the base64 text of {@code bytes} bytes. */
    static long base64Length(long bytes) {
        return (bytes + 2) / 3 * 4;
    }
}
