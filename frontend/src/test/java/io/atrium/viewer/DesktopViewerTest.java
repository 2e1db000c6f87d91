package io.atrium.viewer;

import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The close-code table handed to the browser is JSON the element can parse, whatever the messages contain. */
class DesktopViewerTest {

    @Test
    void theCloseCodeTableIsJsonByCode() {
        String json = DesktopViewer.closeCodesJson(List.of(
                new DesktopViewer.CloseCode(4007, "Opened \"elsewhere\".\nReally", false),
                new DesktopViewer.CloseCode(1006, "Lost \\ gone.", true)));
        Map<String, Object> table = JsonParserFactory.getJsonParser().parseMap(json);
        assertThat(table).containsOnlyKeys("1006", "4007");
        assertThat(table.get("4007")).isEqualTo(Map.of("message", "Opened \"elsewhere\".\nReally", "reconnect", false));
        assertThat(table.get("1006")).isEqualTo(Map.of("message", "Lost \\ gone.", "reconnect", true));
        assertThat(json).startsWith("{\"1006\":");
    }

    @Test
    void theViewerCarriesTheTableAsAProperty() {
        DesktopViewer viewer = new DesktopViewer("Desk", () -> "/gateway/vnc?ticket=t");
        viewer.setCloseCodes(List.of(new DesktopViewer.CloseCode(4010, "Ended.", false)));
        assertThat(viewer.getElement().getProperty("closeCodes"))
                .isEqualTo("{\"4010\":{\"message\":\"Ended.\",\"reconnect\":false}}");
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> DesktopViewer.closeCodesJson(List.of(new DesktopViewer.CloseCode(4001, "a", true),
                new DesktopViewer.CloseCode(4001, "b", true)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DesktopViewer.CloseCode(999, "x", true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DesktopViewer.CloseCode(4001, null, true)).isInstanceOf(NullPointerException.class);
    }
}
