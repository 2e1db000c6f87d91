package io.atrium.vmm.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Something to do inside a running machine's guest (through its guest agent), as a value: the command of
 * {@link MachineHost#guest}. {@code R} is the type of its reply. Paths are guest paths: absolute, at most 4096
 * bytes, no NUL or control characters; the host sends them to the guest only.
 *
 * @param <R> the reply
 */
public sealed interface GuestRequest<R extends GuestReply>
        permits GuestRequest.SetKeyboardLayout, GuestRequest.ListFiles, GuestRequest.MakeDirectory,
        GuestRequest.OpenFile, GuestRequest.WriteFile, GuestRequest.ReadFile, GuestRequest.CloseFile,
        GuestRequest.RenameFile, GuestRequest.DeleteFile {

    /** Largest chunk of a {@link WriteFile} or {@link ReadFile}. */
    int MAX_CHUNK = 1 << 20;

    /**
     * Sets the X keyboard layout of the desktop session ({@code setxkbmap}): the guest's layout turns the
     * scancodes the viewer sends into characters.
     *
     * @param layout  an XKB layout, e.g. {@code de}: 2..8 lower-case letters
     * @param variant an XKB variant of it, e.g. {@code nodeadkeys}, or empty: up to 32 of a-z, 0-9, '_'
     */
    record SetKeyboardLayout(String layout, String variant) implements GuestRequest<GuestReply.Done> {
        private static final Pattern LAYOUT = Pattern.compile("[a-z]{2,8}");
        private static final Pattern VARIANT = Pattern.compile("[a-z0-9_]{0,32}");

        public SetKeyboardLayout {
            Objects.requireNonNull(layout, "layout");
            Objects.requireNonNull(variant, "variant");
            if (!LAYOUT.matcher(layout).matches() || !VARIANT.matcher(variant).matches()) {
                throw new IllegalArgumentException("not an XKB layout and variant: " + layout + " " + variant);
            }
        }
    }

    /** The regular files directly in {@code directory} (at most {@code max}); a missing directory has none. */
    record ListFiles(String directory, int max) implements GuestRequest<GuestReply.Files> {
        public ListFiles {
            GuestPaths.require(directory);
            if (max < 1 || max > 10_000) {
                throw new IllegalArgumentException("max must be 1..10000: " + max);
            }
        }
    }

    /** Creates {@code directory} and its parents (like {@code mkdir -p}). */
    record MakeDirectory(String directory) implements GuestRequest<GuestReply.Done> {
        public MakeDirectory {
            GuestPaths.require(directory);
        }
    }

    /**
     * Opens a guest file for a transfer; the host keeps the guest's handle under the returned id until
     * {@link CloseFile} (or until the machine stops).
     */
    record OpenFile(String path, Mode mode) implements GuestRequest<GuestReply.Opened> {
        public OpenFile {
            GuestPaths.require(path);
            Objects.requireNonNull(mode, "mode");
        }
    }

    /** How a file is opened. */
    enum Mode {
        /** For reading from its start. */
        READ,
        /** Created or truncated, for writing. */
        WRITE
    }

    /** Appends {@code data} (1..{@value #MAX_CHUNK} bytes) to a file opened for {@link Mode#WRITE}. */
    record WriteFile(String handle, byte[] data) implements GuestRequest<GuestReply.Written> {
        public WriteFile {
            Objects.requireNonNull(handle, "handle");
            Objects.requireNonNull(data, "data");
            if (data.length < 1 || data.length > MAX_CHUNK) {
                throw new IllegalArgumentException("a chunk is 1.." + MAX_CHUNK + " bytes: " + data.length);
            }
        }
    }

    /** Reads the next at most {@code maxBytes} (1..{@value #MAX_CHUNK}) of a file opened for {@link Mode#READ}. */
    record ReadFile(String handle, int maxBytes) implements GuestRequest<GuestReply.Chunk> {
        public ReadFile {
            Objects.requireNonNull(handle, "handle");
            if (maxBytes < 1 || maxBytes > MAX_CHUNK) {
                throw new IllegalArgumentException("maxBytes must be 1.." + MAX_CHUNK + ": " + maxBytes);
            }
        }
    }

    /** Renames (moves) a file, replacing {@code to} if it exists. */
    record RenameFile(String from, String to) implements GuestRequest<GuestReply.Done> {
        public RenameFile {
            GuestPaths.require(from);
            GuestPaths.require(to);
        }
    }

    /** Deletes a file (a missing one is not an error). */
    record DeleteFile(String path) implements GuestRequest<GuestReply.Done> {
        public DeleteFile {
            GuestPaths.require(path);
        }
    }

    /** Closes an opened file (a handle the host does not know is a no-op). */
    record CloseFile(String handle) implements GuestRequest<GuestReply.Done> {
        public CloseFile {
            Objects.requireNonNull(handle, "handle");
        }
    }
}
