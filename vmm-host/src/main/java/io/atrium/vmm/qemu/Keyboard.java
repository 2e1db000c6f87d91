package io.atrium.vmm.qemu;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Maps text to QMP QKeyCode chords for a US keyboard layout (the guest's default keymap). */
final class Keyboard {

    private static final Map<Character, List<String>> KEYS = new HashMap<>();

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            KEYS.put(c, List.of(String.valueOf(c)));
            KEYS.put(Character.toUpperCase(c), List.of("shift", String.valueOf(c)));
        }
        for (char c = '0'; c <= '9'; c++) {
            KEYS.put(c, List.of(String.valueOf(c)));
        }
        plain(' ', "spc");
        plain('\n', "ret");
        plain('\t', "tab");
        plain('\b', "backspace");
        plain('\u001b', "esc");
        String unshifted = "-=[]\\;',./`";
        String shifted = "_+{}|:\"<>?~";
        String[] names = {"minus", "equal", "bracket_left", "bracket_right", "backslash", "semicolon",
            "apostrophe", "comma", "dot", "slash", "grave_accent"};
        for (int i = 0; i < names.length; i++) {
            plain(unshifted.charAt(i), names[i]);
            KEYS.put(shifted.charAt(i), List.of("shift", names[i]));
        }
        String digitsShifted = ")!@#$%^&*(";
        for (int i = 0; i < 10; i++) {
            KEYS.put(digitsShifted.charAt(i), List.of("shift", String.valueOf(i)));
        }
    }

    private Keyboard() {
    }

    private static void plain(char c, String key) {
        KEYS.put(c, List.of(key));
    }

    /** The chord (modifiers first) that types {@code c}. */
    static List<String> chordFor(char c) {
        List<String> chord = KEYS.get(c);
        if (chord == null) {
            throw new IllegalArgumentException("cannot type character U+" + String.format("%04X", (int) c)
                    + " on a US keyboard");
        }
        return chord;
    }

    /** Parses a chord like {@code ctrl-alt-delete} or {@code ret} into QKeyCodes. */
    static List<String> parseChord(String chord) {
        if (chord.isEmpty()) {
            throw new IllegalArgumentException("empty key chord");
        }
        if (chord.equals("-")) {
            return List.of("minus");
        }
        return List.of(chord.split("-"));
    }
}
