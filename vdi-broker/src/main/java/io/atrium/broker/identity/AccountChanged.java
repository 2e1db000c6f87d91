package io.atrium.broker.identity;

/**
 * Published after an account was disabled, deleted, or its groups changed: the access it still has is re-checked
 * at once ({@link AccessRevocation}).
 */
public record AccountChanged(String username) {
}
