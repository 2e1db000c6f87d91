package io.atrium.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class GatewaySettingsAndStatusTest {

    @Test
    void closeCodesAndHttpStatusesAreStable() {
        assertThat(GatewayStatus.TICKET_INVALID.closeCode()).isEqualTo(4001);
        assertThat(GatewayStatus.TICKET_USED.closeCode()).isEqualTo(4002);
        assertThat(GatewayStatus.TICKET_EXPIRED.closeCode()).isEqualTo(4003);
        assertThat(GatewayStatus.FORBIDDEN.closeCode()).isEqualTo(4004);
        assertThat(GatewayStatus.DESKTOP_GONE.closeCode()).isEqualTo(4005);
        assertThat(GatewayStatus.VM_CLOSED.closeCode()).isEqualTo(4006);
        assertThat(GatewayStatus.TAKEN_OVER.closeCode()).isEqualTo(4007);
        assertThat(GatewayStatus.ADMIN_DISCONNECT.closeCode()).isEqualTo(4008);
        assertThat(GatewayStatus.SERVER_ERROR.closeCode()).isEqualTo(1011);
        assertThat(GatewayStatus.NORMAL.closeCode()).isEqualTo(1000);
        assertThat(GatewayStatus.TICKET_INVALID.httpStatus()).isEqualTo(401);
        assertThat(GatewayStatus.TICKET_USED.httpStatus()).isEqualTo(410);
        assertThat(GatewayStatus.TICKET_EXPIRED.httpStatus()).isEqualTo(410);
        assertThat(GatewayStatus.FORBIDDEN.httpStatus()).isEqualTo(403);
        assertThat(GatewayStatus.DESKTOP_GONE.httpStatus()).isEqualTo(404);
        assertThat(GatewayStatus.SERVER_ERROR.httpStatus()).isEqualTo(500);
        assertThat(Arrays.stream(GatewayStatus.values()).map(GatewayStatus::closeCode).distinct())
                .hasSize(GatewayStatus.values().length);
        for (GatewayStatus status : GatewayStatus.values()) {
            assertThat(GatewayStatus.fromCloseCode(status.closeCode())).contains(status);
            assertThat(status.reason().getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(GatewayStatus.MAX_REASON_BYTES);
        }
        assertThat(GatewayStatus.ACCESS_REVOKED.closeCode()).isEqualTo(4011);
        assertThat(GatewayStatus.ACCESS_REVOKED.httpStatus()).isEqualTo(403);
        for (GatewayStatus status : GatewayStatus.values()) {
            assertThat(status.userMessage()).as(status + " user message").isNotBlank().endsWith(".");
        }
        // Decisions a new attempt would only undo or repeat; the others are worth retrying with a fresh ticket.
        assertThat(Arrays.stream(GatewayStatus.values()).filter(s -> !s.reconnectMayHelp()))
                .containsExactlyInAnyOrder(GatewayStatus.FORBIDDEN, GatewayStatus.TAKEN_OVER,
                        GatewayStatus.ADMIN_DISCONNECT, GatewayStatus.SESSION_IDLE, GatewayStatus.SESSION_ENDED,
                        GatewayStatus.ACCESS_REVOKED, GatewayStatus.LOGGED_OUT);
        assertThat(GatewayStatus.LOGGED_OUT.closeCode()).isEqualTo(4012);
        assertThat(GatewayStatus.PROTOCOL_VIOLATION.closeCode()).isEqualTo(4013);
        assertThat(GatewayStatus.CONNECTION_LOST.isTransmittable()).isFalse();
        assertThat(GatewayStatus.fromCloseCode(4999)).isEmpty();
    }

    @Test
    void exceptionReasonDefaultsAndIsTruncatedToCloseFrameLimit() {
        assertThat(new GatewayException(GatewayStatus.TICKET_USED).reason()).isEqualTo("console ticket already used");
        assertThat(new GatewayException(GatewayStatus.FORBIDDEN, "  ").reason()).isEqualTo("access denied");
        String longReason = "é".repeat(100); // 200 bytes
        String reason = new GatewayException(GatewayStatus.FORBIDDEN, longReason).reason();
        assertThat(reason.getBytes(StandardCharsets.UTF_8).length).isEqualTo(122);
        assertThat(reason).isEqualTo("é".repeat(61));
        GatewayException e = new GatewayException(GatewayStatus.DESKTOP_GONE, "desktop deleted");
        assertThat(e.closeCode()).isEqualTo(4005);
        assertThat(e.httpStatus()).isEqualTo(404);
    }

    @Test
    void settingsDefaultsAndOriginCheck() {
        GatewaySettings defaults = GatewaySettings.defaults();
        assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.allowedOrigins()).isEmpty();
        assertThat(defaults.isOriginAllowed(null)).isTrue();
        assertThat(defaults.isOriginAllowed("https://anything")).isTrue();

        GatewaySettings restricted = defaults.withAllowedOrigins(List.of(" https://VDI.example.com/ "));
        assertThat(restricted.allowedOrigins()).containsExactly("https://vdi.example.com");
        assertThat(restricted.isOriginAllowed("https://vdi.example.com")).isTrue();
        assertThat(restricted.isOriginAllowed("https://vdi.example.com/")).isTrue();
        assertThat(restricted.isOriginAllowed("http://vdi.example.com")).isFalse();
        assertThat(restricted.isOriginAllowed("https://vdi.example.com.evil.net")).isFalse();
        assertThat(restricted.isOriginAllowed(null)).isFalse();

        GatewaySettings same = defaults.withAllowedOrigins(List.of(GatewaySettings.SAME_ORIGIN, "http://other:6080"));
        assertThat(same.isOriginAllowed("http://localhost:8080", "http://localhost:8080")).isTrue();
        assertThat(same.isOriginAllowed("http://evil.example", "http://localhost:8080")).isFalse();
        assertThat(same.isOriginAllowed("http://other:6080", "http://localhost:8080")).isTrue();
        assertThat(same.isOriginAllowed(null, "http://localhost:8080")).isFalse();
        assertThat(same.isOriginAllowed("http://localhost:8080", null)).isFalse();
        assertThat(defaults.withAllowedOrigins(List.of("*")).isOriginAllowed(null, null)).isTrue();
        GatewaySettings nativeClients = defaults.withAllowedOrigins(List.of(GatewaySettings.SAME_ORIGIN, GatewaySettings.NO_ORIGIN));
        assertThat(nativeClients.isOriginAllowed(null, "http://localhost:8080")).isTrue();
        assertThat(nativeClients.isOriginAllowed("http://evil.example", "http://localhost:8080")).isFalse();
    }

    @Test
    void settingsRejectNonsense() {
        assertThatThrownBy(() -> new GatewaySettings(Duration.ZERO, 65536, 65536, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GatewaySettings(Duration.ofMinutes(1), 10, 65536, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GatewaySettings(Duration.ofMinutes(1), 65536, 65536, List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new GatewaySettings(Duration.ofMinutes(1), 65536, 65536, null).allowedOrigins()).isEmpty();
    }
}
