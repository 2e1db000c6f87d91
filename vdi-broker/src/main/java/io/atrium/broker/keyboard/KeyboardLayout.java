package io.atrium.broker.keyboard;

import java.util.Objects;

/**
 * A keyboard layout a user can pick for their desktop.
 *
 * @param code    how the viewer names it ({@code de}, {@code ch-fr})
 * @param name    for people
 * @param layout  the XKB layout the guest applies
 * @param variant the XKB variant, or empty
 */
public record KeyboardLayout(String code, String name, String layout, String variant) {
    public KeyboardLayout {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(variant, "variant");
    }
}
