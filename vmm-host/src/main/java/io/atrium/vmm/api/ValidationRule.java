package io.atrium.vmm.api;

/**
 * The rules an uploaded disk must pass before a host keeps it (an uploaded disk is hostile until proven otherwise).
 * A refusal names exactly one rule; {@link #title()} is what administrators read.
 */
public enum ValidationRule {
    /** The bytes are not the claimed format (the host never probes; a raw file holding a qcow2 header is refused). */
    FORMAT_MISMATCH("the file is not in the format it was uploaded as"),
    /** A qcow2 names a backing file (qemu-img would copy that host file into the output). */
    BACKING_FILE("backing files are not allowed"),
    /** A qcow2 keeps its data in an external data file (a host file). */
    DATA_FILE("external data files are not allowed"),
    /** A file name inside the image is a {@code json:} pseudo-protocol name (qemu would obey it). */
    JSON_FILENAME("json: file names are not allowed"),
    /** A VMDK of a kind other than {@code monolithicSparse} or {@code streamOptimized} (e.g. flat, split). */
    VMDK_TYPE("only monolithicSparse and streamOptimized VMDKs are allowed"),
    /** A VMDK extent that is not the uploaded file itself (another host file). */
    VMDK_EXTENT("VMDK extents must be the uploaded file itself"),
    /** The virtual size is above the host's cap. */
    VIRTUAL_SIZE("the virtual size is above the limit"),
    /** Converted, the disk needs more space than a version may take (a compression bomb). */
    EXPANDED_SIZE("the converted disk is larger than a version may be"),
    /** qemu-img ran into its address-space or CPU limit or its timeout. */
    RESOURCE_LIMIT("reading the image took more memory or time than allowed"),
    /** Encryption or another qcow2 feature the host does not accept. */
    UNSUPPORTED_FEATURE("the image uses a feature that is not allowed"),
    /** qemu-img check found corruption, or qemu-img could not read the image at all. */
    CORRUPT("the image is damaged or unreadable"),
    /** The upload was larger than the upload quota. */
    QUOTA("the upload is larger than the quota");

    private final String title;

    ValidationRule(String title) {
        this.title = title;
    }

    /** A short sentence for administrators, e.g. "backing files are not allowed". */
    public String title() {
        return title;
    }
}
