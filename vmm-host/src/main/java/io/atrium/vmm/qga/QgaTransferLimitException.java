package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;

/**
 * A file transfer went over the byte cap the caller set: the file read from the guest, or the
 * stream written into it, is larger. The transfer stopped there and the guest file handle was
 * closed (a file written into the guest is then incomplete).
 */
public final class QgaTransferLimitException extends VmmException {

    private final String guestPath;
    private final long limit;

    public QgaTransferLimitException(String guestPath, long limit, String direction) {
        super(direction + " " + guestPath + " stopped: larger than the cap of " + limit + " bytes");
        this.guestPath = guestPath;
        this.limit = limit;
    }

    /** The file in the guest. */
    public String guestPath() {
        return guestPath;
    }

    /** The cap in bytes. */
    public long limit() {
        return limit;
    }
}
