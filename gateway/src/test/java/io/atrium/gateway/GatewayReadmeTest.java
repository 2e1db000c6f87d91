package io.atrium.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * {@link GatewayStatus} is the one close-code table; the README's copy for people is kept equal to it, row by row:
 * status, close code, reason, HTTP status, whether reconnecting may help, the viewer's message.
 */
class GatewayReadmeTest {

    record Row(String status, int closeCode, String reason, int httpStatus, boolean reconnect, String message) {
        static Row of(GatewayStatus s) {
            return new Row(s.name(), s.closeCode(), s.reason(), s.httpStatus(), s.reconnectMayHelp(), s.userMessage());
        }
    }

    @Test
    void theReadmeCloseCodeTableIsGatewayStatus() throws Exception {
        Path readme = Path.of(System.getProperty("basedir", "."), "README.md");
        List<String> lines = Files.readAllLines(readme);
        Map<String, Row> documented = new LinkedHashMap<>();
        for (String line : section(lines, "## Close codes")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = Arrays.stream(line.substring(1, line.lastIndexOf('|')).split("\\|"))
                    .map(String::strip).toArray(String[]::new);
            assertThat(cells).as(line).hasSize(7);
            String name = cells[0].replace("`", "");
            assertThat(cells[4]).as("Reconnect of " + name).isIn("yes", "no");
            Row row = new Row(name, Integer.parseInt(cells[1]), cells[2], Integer.parseInt(cells[3]),
                    cells[4].equals("yes"), cells[5]);
            assertThat(documented.put(name, row)).as("row for " + name + " twice").isNull();
        }
        List<Row> expected = Arrays.stream(GatewayStatus.values()).map(Row::of).toList();
        assertThat(new ArrayList<>(documented.values())).as("README.md close-code rows, in enum order")
                .containsExactlyElementsOf(expected);
    }

    private static List<String> section(List<String> lines, String heading) {
        int start = lines.indexOf(heading);
        assertThat(start).as(heading + " in README.md").isNotNegative();
        List<String> body = new ArrayList<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            body.add(line);
        }
        return body;
    }
}
