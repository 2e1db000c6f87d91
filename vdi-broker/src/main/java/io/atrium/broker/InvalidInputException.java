package io.atrium.broker;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Input that fails validation, naming each bad field (status INVALID_INPUT, HTTP 400). The UI shows each message
 * next to its field; the REST API returns them as {@code fields}.
 */
public class InvalidInputException extends BrokerException {
    private final Map<String, String> fieldErrors;

    public InvalidInputException(Map<String, String> fieldErrors) {
        super(BrokerStatus.INVALID_INPUT, "Invalid input: " + String.join(", ", fieldErrors.keySet()));
        this.fieldErrors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fieldErrors));
    }

    public static InvalidInputException of(String field, String message) {
        return new InvalidInputException(Map.of(field, message));
    }

    /** Field name → message, in the order found. */
    public Map<String, String> fieldErrors() {
        return fieldErrors;
    }

    @Override
    public String getMessage() {
        StringBuilder b = new StringBuilder("Invalid input: ");
        fieldErrors.forEach((f, m) -> b.append(f).append(" ").append(m).append("; "));
        return b.substring(0, b.length() - 2);
    }
}
