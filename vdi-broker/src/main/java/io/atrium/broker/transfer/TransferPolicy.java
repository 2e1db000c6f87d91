package io.atrium.broker.transfer;

import java.util.Objects;

/**
 * What may cross between a pool's desktops and the browser. The clipboard is enforced by the gateway (it gets the
 * policy with each console connection), files by {@link FileTransferService}.
 *
 * @param clipboard         which way clipboard text may go
 * @param clipboardMaxBytes the largest clipboard text, 0..{@value #MAX_CLIPBOARD_BYTES} bytes
 * @param files             which way files may go
 * @param fileMaxBytes      the largest file, 1..{@value #MAX_FILE_BYTES} bytes
 */
public record TransferPolicy(ClipboardMode clipboard, int clipboardMaxBytes, FileMode files, long fileMaxBytes) {

    /** What QEMU's VNC server takes at most (it drops a client that sends more). */
    public static final int MAX_CLIPBOARD_BYTES = 1 << 20;
    public static final long MAX_FILE_BYTES = 1L << 30;
    /** A pool without its own policy: both ways, 256 KiB of text, files both ways up to 64 MiB. */
    public static final TransferPolicy DEFAULT = new TransferPolicy(ClipboardMode.BOTH, 256 * 1024, FileMode.BOTH,
            64L << 20);

    public TransferPolicy {
        Objects.requireNonNull(clipboard, "clipboard");
        Objects.requireNonNull(files, "files");
    }

    /** Which way clipboard text may go. */
    public enum ClipboardMode {
        BOTH(true, true), GUEST_TO_BROWSER(false, true), BROWSER_TO_GUEST(true, false), NONE(false, false);

        private final boolean browserToGuest;
        private final boolean guestToBrowser;

        ClipboardMode(boolean browserToGuest, boolean guestToBrowser) {
            this.browserToGuest = browserToGuest;
            this.guestToBrowser = guestToBrowser;
        }

        public boolean browserToGuest() {
            return browserToGuest;
        }

        public boolean guestToBrowser() {
            return guestToBrowser;
        }
    }

    /** Which way files may go. */
    public enum FileMode {
        BOTH(true, true), UPLOAD(true, false), DOWNLOAD(false, true), NONE(false, false);

        private final boolean upload;
        private final boolean download;

        FileMode(boolean upload, boolean download) {
            this.upload = upload;
            this.download = download;
        }

        public boolean upload() {
            return upload;
        }

        public boolean download() {
            return download;
        }
    }
}
