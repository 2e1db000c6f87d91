package io.atrium.web.ui;

import io.atrium.broker.transfer.FileTransferService;
import io.atrium.viewer.DesktopViewer;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The viewer's file transfers for one desktop, through the broker's {@link FileTransferService} (which checks the
 * caller, the pool's policy and the cap on every call; the requests run as the logged-in user).
 */
final class DesktopFiles implements DesktopViewer.FileTarget {
    private final FileTransferService files;
    private final String desktopId;

    DesktopFiles(FileTransferService files, String desktopId) {
        this.files = files;
        this.desktopId = desktopId;
    }

    @Override
    public DesktopViewer.FileLimits limits() {
        FileTransferService.Limits l = files.limits(desktopId);
        return new DesktopViewer.FileLimits(l.upload(), l.download(), l.maxBytes(), l.folder());
    }

    @Override
    public List<DesktopViewer.FileEntry> list() {
        return files.list(desktopId).stream().map(f -> new DesktopViewer.FileEntry(f.name(), f.size())).toList();
    }

    @Override
    public long upload(String name, InputStream content, LongConsumer progress) {
        return files.upload(desktopId, name, content, progress);
    }

    @Override
    public long download(String name, OutputStream target, LongConsumer progress) {
        return files.download(desktopId, name, target, progress);
    }
}
