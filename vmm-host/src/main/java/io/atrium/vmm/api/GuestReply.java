package io.atrium.vmm.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** The answer to a {@link GuestRequest}, as a value. */
public sealed interface GuestReply
        permits GuestReply.Done, GuestReply.Files, GuestReply.Opened, GuestReply.Written, GuestReply.Chunk {

    /** It was done. */
    record Done() implements GuestReply {
        public static final Done DONE = new Done();
    }

    /** Files in a directory, by name. */
    record Files(List<GuestFile> files) implements GuestReply {
        public Files {
            files = List.copyOf(files);
        }
    }

    /**
     * A regular file in the guest.
     *
     * @param name     its name in the directory (no '/', no control characters; what the guest reported, checked)
     * @param size     bytes
     * @param modified last modification
     */
    record GuestFile(String name, long size, Instant modified) {
        public GuestFile {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(modified, "modified");
            if (size < 0) {
                throw new IllegalArgumentException("negative size");
            }
        }
    }

    /** An opened file, by the id the host gave it. */
    record Opened(String handle) implements GuestReply {
        public Opened {
            Objects.requireNonNull(handle, "handle");
        }
    }

    /** How many bytes a write took (all of them, or the write failed). */
    record Written(int bytes) implements GuestReply {
    }

    /** Bytes read, and whether the end of the file was reached. */
    record Chunk(byte[] data, boolean eof) implements GuestReply {
        public Chunk {
            Objects.requireNonNull(data, "data");
        }
    }
}
