package io.atrium.vmm.qga;

import java.util.Objects;

/**
 * What one {@code guest-file-read} returned ({@link QgaClient#fileRead}): checked bytes and whether the guest
 * reached the end of the file.
 */
public record QgaFileChunk(byte[] data, boolean eof) {
    public QgaFileChunk {
        Objects.requireNonNull(data, "data");
    }
}
