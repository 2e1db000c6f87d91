package io.atrium.vmm.process;

import io.atrium.vmm.VmmException;
import java.util.Optional;

/** A host tool is not installed; the message names the Debian package that provides it, if known. */
public final class ToolNotFoundException extends VmmException {

    private final String tool;
    private final String debianPackage;

    ToolNotFoundException(String tool, String debianPackage, String purpose) {
        super((purpose == null ? "required tool '" + tool + "' not found"
                : purpose + " needs '" + tool + "', which was not found")
                + (debianPackage == null ? ""
                        : ": install the Debian package " + debianPackage + " (apt-get install " + debianPackage + ")"));
        this.tool = tool;
        this.debianPackage = debianPackage;
    }

    /** The tool as it was asked for (a name or a path). */
    public String tool() {
        return tool;
    }

    /** The Debian package that provides it, if this module knows it. */
    public Optional<String> debianPackage() {
        return Optional.ofNullable(debianPackage);
    }
}
