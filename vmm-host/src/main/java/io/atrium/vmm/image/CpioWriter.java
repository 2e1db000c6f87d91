package io.atrium.vmm.image;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format the Linux kernel unpacks as initramfs. All entries
 * are owned by root with mtime 0 and sequential inode numbers, so the same entries in the same
 * order always give the same bytes. Parents must be written before their children.
 */
final class CpioWriter implements AutoCloseable {

    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int S_IFCHR = 0020000;

    private final OutputStream out;
    private long written;
    private int inode = 1;

    CpioWriter(OutputStream out) {
        this.out = out;
    }

    void directory(String path, int mode) throws IOException {
        entry(path, S_IFDIR | mode, 2, new byte[0], 0, 0);
    }

    void file(String path, int mode, byte[] content) throws IOException {
        entry(path, S_IFREG | mode, 1, content, 0, 0);
    }

    void symlink(String path, String target) throws IOException {
        entry(path, S_IFLNK | 0777, 1, target.getBytes(StandardCharsets.UTF_8), 0, 0);
    }

    void charDevice(String path, int mode, int major, int minor) throws IOException {
        entry(path, S_IFCHR | mode, 1, new byte[0], major, minor);
    }

    private void entry(String path, int mode, int nlink, byte[] data, int rdevMajor, int rdevMinor) throws IOException {
        if (path.startsWith("/")) {
            throw new IllegalArgumentException("cpio paths are relative: " + path);
        }
        byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder("070701");
        for (long field : new long[] {inode++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor,
            name.length, 0}) {
            header.append(String.format("%08x", field));
        }
        write(header.toString().getBytes(StandardCharsets.US_ASCII));
        write(name);
        pad();
        write(data);
        pad();
    }

    @Override
    public void close() throws IOException {
        inode = 0;
        entry("TRAILER!!!", 0, 1, new byte[0], 0, 0);
        out.close();
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }
}
