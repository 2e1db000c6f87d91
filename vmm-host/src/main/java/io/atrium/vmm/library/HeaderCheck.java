package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.ValidationRule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The first look at an uploaded file, in Java, before any {@code qemu-img} runs on it: what format its bytes are
 * (by magic numbers, never by asking qemu to probe), and for qcow2 and VMDK the header fields that would make qemu
 * open other files: backing files, external data files, {@code json:} names, VMDK kinds and extents. So a file that
 * points at a host file is refused before qemu-img ever opens that host file.
 *
 * <p>Only headers are read (at most {@link #MAX_DESCRIPTOR} bytes of a VMDK descriptor); nothing read is quoted
 * in messages beyond short, sanitised names.
 */
final class HeaderCheck {

    static final int MAX_DESCRIPTOR = 1 << 20;
    private static final byte[] QCOW2 = {'Q', 'F', 'I', (byte) 0xfb};
    private static final long QCOW2_INCOMPATIBLE_KNOWN = 0b11111; // dirty, corrupt, data file, compression, ext. L2
    private static final int QCOW2_EXT_DATA_FILE = 0x44415441;
    private static final int QCOW2_EXT_ENCRYPTION = 0x0537be77;
    private static final int VMDK_SPARSE_MAGIC = 0x564d444b; // "KDMV" little endian
    private static final Pattern CREATE_TYPE = Pattern.compile("(?m)^\\s*createType\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern PARENT_CID = Pattern.compile("(?m)^\\s*parentCID\\s*=\\s*([0-9a-fA-F]+)");
    private static final Pattern PARENT_HINT = Pattern.compile("(?m)^\\s*parentFileNameHint\\s*=");
    private static final Pattern EXTENT = Pattern.compile(
            "(?m)^\\s*(RW|RDONLY|NOACCESS)\\s+(\\d+)\\s+(\\S+)(?:\\s+\"([^\"]*)\")?.*$");
    static final List<String> VMDK_TYPES = List.of("monolithicSparse", "streamOptimized");

    /** What the bytes say. */
    enum Magic { QCOW2, QED, VMDK_SPARSE, VMDK_DESCRIPTOR, VMDK_COWD, VDI, VHD, VHDX, LUKS, PARALLELS, NONE }

    /**
     * What the header check found.
     *
     * @param magic       the format the magic numbers say
     * @param virtualSize the virtual size in the header (qcow2, VMDK), or the file size (raw, ISO)
     * @param notes       lines for the version's log
     */
    record Facts(Magic magic, long virtualSize, List<String> notes) {
    }

    private HeaderCheck() {
    }

    /**
     * Checks the file against the claimed format and the header rules.
     *
     * @throws ImageRefusedException naming the first rule it breaks
     */
    static Facts check(Path file, DiskFormat claimed, long maxVirtualSize) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = read(ch, 0, 4096);
            Magic magic = magic(head);
            List<String> notes = new ArrayList<>();
            notes.add("header: " + describe(magic) + ", " + size + " bytes");
            long virtualSize = switch (claimed) {
                case RAW -> {
                    if (magic != Magic.NONE) {
                        throw new ImageRefusedException(ValidationRule.FORMAT_MISMATCH,
                                "uploaded as raw, but the file starts with a " + describe(magic) + " header");
                    }
                    yield size;
                }
                case ISO -> {
                    if (magic != Magic.NONE || !isIso9660(ch)) {
                        throw new ImageRefusedException(ValidationRule.FORMAT_MISMATCH, "uploaded as an ISO, but "
                                + (magic != Magic.NONE ? "the file starts with a " + describe(magic) + " header"
                                        : "it has no ISO 9660 volume descriptor"));
                    }
                    yield size;
                }
                case QCOW2 -> {
                    if (magic != Magic.QCOW2) {
                        throw mismatch(claimed, magic);
                    }
                    yield qcow2(ch, notes);
                }
                case VMDK -> {
                    if (magic == Magic.VMDK_SPARSE) {
                        yield vmdkSparse(ch, notes);
                    }
                    if (magic == Magic.VMDK_DESCRIPTOR) {
                        vmdkDescriptor(new String(bytes(read(ch, 0, (int) Math.min(size, MAX_DESCRIPTOR))),
                                StandardCharsets.ISO_8859_1), false);
                        throw new IllegalStateException("a descriptor file always names other extents");
                    }
                    throw mismatch(claimed, magic);
                }
            };
            if (virtualSize > maxVirtualSize) {
                throw new ImageRefusedException(ValidationRule.VIRTUAL_SIZE, "its virtual size is " + virtualSize
                        + " bytes (" + human(virtualSize) + "); the limit is " + human(maxVirtualSize));
            }
            return new Facts(magic, virtualSize, List.copyOf(notes));
        } catch (IOException e) {
            throw new VmmException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static Magic magic(ByteBuffer head) {
        byte[] b = bytes(head.duplicate());
        String text = new String(b, 0, Math.min(b.length, 64), StandardCharsets.ISO_8859_1);
        if (startsWith(b, QCOW2)) {
            return Magic.QCOW2;
        }
        if (text.startsWith("QFI")) {
            return Magic.QCOW2; // a qcow version 1 header; refused as not qcow2 v2/v3 below
        }
        if (text.startsWith("QED\0")) {
            return Magic.QED;
        }
        if (text.startsWith("KDMV")) {
            return Magic.VMDK_SPARSE;
        }
        if (text.startsWith("COWD")) {
            return Magic.VMDK_COWD;
        }
        if (text.stripLeading().startsWith("# Disk DescriptorFile")) {
            return Magic.VMDK_DESCRIPTOR;
        }
        if (text.startsWith("conectix")) {
            return Magic.VHD;
        }
        if (text.startsWith("vhdxfile")) {
            return Magic.VHDX;
        }
        if (text.startsWith("LUKS\u00ba\u00be")) {
            return Magic.LUKS;
        }
        if (text.startsWith("WithoutFreeSpace") || text.startsWith("WithouFreSpacExt")) {
            return Magic.PARALLELS;
        }
        if (b.length >= 0x44 && (b[0x40] & 0xff) == 0x7f && (b[0x41] & 0xff) == 0x10 && (b[0x42] & 0xff) == 0xda
                && (b[0x43] & 0xff) == 0xbe) {
            return Magic.VDI;
        }
        return Magic.NONE;
    }

    // ------------------------------------------------------------------ qcow2

    /** Checks a qcow2 header (versions 2 and 3) and its extensions; returns the virtual size. */
    private static long qcow2(FileChannel ch, List<String> notes) throws IOException {
        ByteBuffer h = read(ch, 0, 4096).order(ByteOrder.BIG_ENDIAN);
        if (h.remaining() < 72) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "the qcow2 header is truncated");
        }
        int version = h.getInt(4);
        if (version != 2 && version != 3) {
            throw new ImageRefusedException(ValidationRule.UNSUPPORTED_FEATURE, "qcow version " + version
                    + " (only 2 and 3 are accepted)");
        }
        long backingOffset = h.getLong(8);
        int backingSize = h.getInt(16);
        int clusterBits = h.getInt(20);
        long virtualSize = h.getLong(24);
        int crypt = h.getInt(32);
        if (clusterBits < 9 || clusterBits > 21 || virtualSize < 0) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "the qcow2 header has impossible values");
        }
        long incompatible = 0;
        int headerLength = 72;
        if (version == 3) {
            if (h.remaining() < 104) {
                throw new ImageRefusedException(ValidationRule.CORRUPT, "the qcow2 v3 header is truncated");
            }
            incompatible = h.getLong(72);
            headerLength = h.getInt(100);
            if (headerLength < 104 || headerLength > 4096) {
                throw new ImageRefusedException(ValidationRule.CORRUPT, "the qcow2 header length is " + headerLength);
            }
        }
        // Names first: a json: name is refused as such wherever it is.
        Optional<String> backing = Optional.empty();
        if (backingOffset != 0 || backingSize != 0) {
            if (backingSize <= 0 || backingSize > 1023 || backingOffset <= 0) {
                throw new ImageRefusedException(ValidationRule.BACKING_FILE, "the header names a backing file");
            }
            backing = Optional.of(new String(bytes(read(ch, backingOffset, backingSize)), StandardCharsets.UTF_8));
        }
        Optional<String> dataFile = Optional.empty();
        boolean encryption = false;
        int cluster = 1 << clusterBits;
        int offset = headerLength;
        ByteBuffer ext = read(ch, 0, Math.min(cluster, 65536)).order(ByteOrder.BIG_ENDIAN);
        while (offset + 8 <= ext.limit()) {
            int type = ext.getInt(offset);
            int length = ext.getInt(offset + 4);
            if (type == 0) {
                break;
            }
            if (length < 0 || offset + 8L + length > ext.limit()) {
                throw new ImageRefusedException(ValidationRule.CORRUPT, "a qcow2 header extension runs past its end");
            }
            if (type == QCOW2_EXT_DATA_FILE) {
                byte[] name = new byte[length];
                ext.get(offset + 8, name);
                dataFile = Optional.of(new String(name, StandardCharsets.UTF_8));
            } else if (type == QCOW2_EXT_ENCRYPTION) {
                encryption = true;
            }
            offset += 8 + ((length + 7) & ~7);
        }
        boolean externalData = (incompatible & 0b100) != 0 || dataFile.isPresent();
        if (backing.filter(HeaderCheck::isJson).isPresent() || dataFile.filter(HeaderCheck::isJson).isPresent()) {
            throw new ImageRefusedException(ValidationRule.JSON_FILENAME, "the "
                    + (backing.filter(HeaderCheck::isJson).isPresent() ? "backing file" : "data file")
                    + " is a json: name");
        }
        if (backing.isPresent()) {
            throw new ImageRefusedException(ValidationRule.BACKING_FILE, "it names the backing file '"
                    + safe(backing.get()) + "'");
        }
        if (externalData) {
            throw new ImageRefusedException(ValidationRule.DATA_FILE, "its data is kept in the external file '"
                    + safe(dataFile.orElse("?")) + "'");
        }
        if (crypt != 0 || encryption) {
            throw new ImageRefusedException(ValidationRule.UNSUPPORTED_FEATURE, "it is encrypted");
        }
        if ((incompatible & 0b10) != 0) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu marked it corrupt");
        }
        if ((incompatible & ~QCOW2_INCOMPATIBLE_KNOWN) != 0) {
            throw new ImageRefusedException(ValidationRule.UNSUPPORTED_FEATURE, "unknown incompatible qcow2 features 0x"
                    + Long.toHexString(incompatible & ~QCOW2_INCOMPATIBLE_KNOWN));
        }
        notes.add("qcow2 v" + version + ": no backing file, no external data file, virtual size " + virtualSize);
        return virtualSize;
    }

    // ------------------------------------------------------------------ VMDK

    /** A sparse VMDK ("KDMV"): its embedded descriptor may name only the file itself. Returns the virtual size. */
    private static long vmdkSparse(FileChannel ch, List<String> notes) throws IOException {
        ByteBuffer h = read(ch, 0, 512).order(ByteOrder.LITTLE_ENDIAN);
        if (h.remaining() < 512 || h.getInt(0) != VMDK_SPARSE_MAGIC) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "the VMDK header is truncated");
        }
        long capacity = h.getLong(12);
        long descriptorOffset = h.getLong(28);
        long descriptorSize = h.getLong(36);
        if (capacity < 0 || capacity > Long.MAX_VALUE / 512 || descriptorOffset < 0 || descriptorSize < 0) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "the VMDK header has impossible values");
        }
        if (descriptorOffset > 0 && descriptorSize > 0) {
            if (descriptorSize > MAX_DESCRIPTOR / 512 || descriptorOffset > ch.size() / 512) {
                throw new ImageRefusedException(ValidationRule.CORRUPT, "the VMDK descriptor is out of bounds");
            }
            String descriptor = new String(bytes(read(ch, descriptorOffset * 512, (int) (descriptorSize * 512))),
                    StandardCharsets.ISO_8859_1);
            int nul = descriptor.indexOf('\0');
            vmdkDescriptor(nul >= 0 ? descriptor.substring(0, nul) : descriptor, true);
        }
        notes.add("vmdk (sparse, one extent: the file itself), virtual size " + capacity * 512);
        return capacity * 512;
    }

    /**
     * The rules for a VMDK descriptor: a json: name, a parent (backing), a kind other than monolithicSparse or
     * streamOptimized, and (for a separate descriptor file, or an embedded one naming a path) extents that are other
     * files are refused.
     *
     * @param embedded whether the descriptor is inside a sparse VMDK (its one extent is the file itself)
     */
    static void vmdkDescriptor(String descriptor, boolean embedded) {
        List<String[]> extents = new ArrayList<>();
        Matcher m = EXTENT.matcher(descriptor);
        while (m.find()) {
            extents.add(new String[] {m.group(3), m.group(4) == null ? "" : m.group(4)});
        }
        if (extents.stream().anyMatch(e -> isJson(e[1]))) {
            throw new ImageRefusedException(ValidationRule.JSON_FILENAME, "a VMDK extent is a json: name");
        }
        Matcher parent = PARENT_CID.matcher(descriptor);
        if ((parent.find() && !parent.group(1).equalsIgnoreCase("ffffffff"))
                || PARENT_HINT.matcher(descriptor).find()) {
            throw new ImageRefusedException(ValidationRule.BACKING_FILE, "the VMDK is a delta of a parent disk");
        }
        Matcher type = CREATE_TYPE.matcher(descriptor);
        String createType = type.find() ? type.group(1) : "(none)";
        if (!VMDK_TYPES.contains(createType)) {
            throw new ImageRefusedException(ValidationRule.VMDK_TYPE, "its createType is '" + safe(createType) + "'");
        }
        if (!embedded) {
            throw new ImageRefusedException(ValidationRule.VMDK_EXTENT, "it is a descriptor file whose extents are "
                    + "other files" + (extents.isEmpty() ? "" : " ('" + safe(extents.getFirst()[1]) + "')"));
        }
        if (extents.size() != 1 || !extents.getFirst()[0].equals("SPARSE")
                || extents.getFirst()[1].contains("/") || extents.getFirst()[1].contains(":")) {
            throw new ImageRefusedException(ValidationRule.VMDK_EXTENT, "its descriptor names "
                    + (extents.size() == 1 ? "the extent '" + safe(extents.getFirst()[1]) + "'"
                            : extents.size() + " extents"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isIso9660(FileChannel ch) throws IOException {
        for (long at : new long[] {0x8001, 0x8801, 0x9001}) {
            ByteBuffer b = read(ch, at, 5);
            if (b.remaining() == 5 && new String(bytes(b), StandardCharsets.US_ASCII).equals("CD001")) {
                return true;
            }
        }
        return false;
    }

    private static ImageRefusedException mismatch(DiskFormat claimed, Magic found) {
        return new ImageRefusedException(ValidationRule.FORMAT_MISMATCH, "uploaded as " + claimed.id() + ", but the file "
                + (found == Magic.NONE ? "has no " + claimed.id() + " header" : "starts with a " + describe(found)
                        + " header"));
    }

    static String describe(Magic magic) {
        return switch (magic) {
            case QCOW2 -> "qcow2";
            case QED -> "QED";
            case VMDK_SPARSE -> "sparse VMDK";
            case VMDK_DESCRIPTOR -> "VMDK descriptor";
            case VMDK_COWD -> "ESX COWD";
            case VDI -> "VirtualBox VDI";
            case VHD -> "VHD";
            case VHDX -> "VHDX";
            case LUKS -> "LUKS";
            case PARALLELS -> "Parallels";
            case NONE -> "no known image";
        };
    }

    static boolean isJson(String name) {
        return name.strip().toLowerCase(Locale.ROOT).startsWith("json:");
    }

    /** A name from the file, for messages: printable ASCII, at most 80 characters. */
    static String safe(String name) {
        StringBuilder out = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (out.length() >= 80) {
                out.append('…');
                break;
            }
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    static String human(long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.max(0, length));
        long at = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        return b.flip();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
