package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyboardTest {

    @Test
    void mapsUsLayout() {
        assertThat(Keyboard.chordFor('a')).containsExactly("a");
        assertThat(Keyboard.chordFor('A')).containsExactly("shift", "a");
        assertThat(Keyboard.chordFor('>')).containsExactly("shift", "dot");
        assertThat(Keyboard.chordFor('|')).containsExactly("shift", "backslash");
        assertThat(Keyboard.chordFor('$')).containsExactly("shift", "4");
        assertThat(Keyboard.chordFor('\n')).containsExactly("ret");
        assertThat(Keyboard.chordFor('\'')).containsExactly("apostrophe");
        assertThatThrownBy(() -> Keyboard.chordFor('\u00e9')).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesChords() {
        assertThat(Keyboard.parseChord("ctrl-alt-delete")).isEqualTo(List.of("ctrl", "alt", "delete"));
        assertThat(Keyboard.parseChord("ret")).isEqualTo(List.of("ret"));
        assertThat(Keyboard.parseChord("-")).isEqualTo(List.of("minus"));
    }
}
