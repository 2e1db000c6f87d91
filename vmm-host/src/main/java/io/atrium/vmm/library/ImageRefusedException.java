package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.ValidationRule;
import java.util.Objects;

/**
 * An uploaded disk broke a {@link ValidationRule}. The message names the rule ({@code "refused (BACKING_FILE):
 * backing files are not allowed: …"}) and says what was found; it never quotes file contents.
 */
public class ImageRefusedException extends VmmException {
    private final ValidationRule rule;
    private final String detail;

    public ImageRefusedException(ValidationRule rule, String detail) {
        super("refused (" + Objects.requireNonNull(rule, "rule") + "): " + rule.title() + ": " + detail);
        this.rule = rule;
        this.detail = detail;
    }

    public ValidationRule rule() {
        return rule;
    }

    /** What was found, without the rule's title. */
    public String detail() {
        return detail;
    }
}
