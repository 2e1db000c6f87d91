package io.atrium.broker.keyboard;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keyboard layout of a user's desktop. The viewer sends scancodes (QEMU's extended key events; QEMU is never
 * started with a keymap), so the guest's layout decides which character a key makes: the user picks one (the viewer
 * proposes the browser's language) and it is applied in the guest's X session through the guest agent
 * ({@code setxkbmap}). Only layouts of {@link #LAYOUTS} are accepted; the desktop must be the caller's. Audited as
 * {@code keyboard.layout}.
 */
@Service
public class KeyboardService {

    /** The layouts users can pick, by code. */
    public static final List<KeyboardLayout> LAYOUTS = List.of(
            new KeyboardLayout("us", "English (US)", "us", ""),
            new KeyboardLayout("us-intl", "English (US, international)", "us", "intl"),
            new KeyboardLayout("gb", "English (UK)", "gb", ""),
            new KeyboardLayout("de", "German", "de", ""),
            new KeyboardLayout("de-nodeadkeys", "German (no dead keys)", "de", "nodeadkeys"),
            new KeyboardLayout("at", "German (Austria)", "at", ""),
            new KeyboardLayout("ch-de", "German (Switzerland)", "ch", ""),
            new KeyboardLayout("ch-fr", "French (Switzerland)", "ch", "fr"),
            new KeyboardLayout("fr", "French", "fr", ""),
            new KeyboardLayout("be", "Belgian", "be", ""),
            new KeyboardLayout("nl", "Dutch", "nl", ""),
            new KeyboardLayout("es", "Spanish", "es", ""),
            new KeyboardLayout("pt", "Portuguese", "pt", ""),
            new KeyboardLayout("br", "Portuguese (Brazil)", "br", ""),
            new KeyboardLayout("it", "Italian", "it", ""),
            new KeyboardLayout("se", "Swedish", "se", ""),
            new KeyboardLayout("no", "Norwegian", "no", ""),
            new KeyboardLayout("dk", "Danish", "dk", ""),
            new KeyboardLayout("fi", "Finnish", "fi", ""),
            new KeyboardLayout("pl", "Polish", "pl", ""),
            new KeyboardLayout("cz", "Czech", "cz", ""),
            new KeyboardLayout("hu", "Hungarian", "hu", ""),
            new KeyboardLayout("ru", "Russian", "ru", ""),
            new KeyboardLayout("ua", "Ukrainian", "ua", ""),
            new KeyboardLayout("gr", "Greek", "gr", ""),
            new KeyboardLayout("tr", "Turkish", "tr", ""),
            new KeyboardLayout("jp", "Japanese", "jp", ""));

    /** How applying a layout went. */
    public enum Applied {
        /** The guest uses it now. */
        APPLIED,
        /** The desktop's image has no guest agent (the console guest): it keeps its own layout. */
        NOT_SUPPORTED
    }

    private final DesktopService desktops;
    private final MachineHost machines;
    private final AuditLog audit;

    KeyboardService(DesktopService desktops, MachineHost machines, AuditLog audit) {
        this.desktops = desktops;
        this.machines = machines;
        this.audit = audit;
    }

    /** The layout with this code. */
    public static Optional<KeyboardLayout> byCode(String code) {
        return LAYOUTS.stream().filter(l -> l.code().equals(code)).findFirst();
    }

    /**
     * Applies the layout {@code code} in the caller's desktop.
     *
     * @throws InvalidInputException {@code layout} for a code not in {@link #LAYOUTS}
     * @throws BrokerException NOT_FOUND / FORBIDDEN when it is not the caller's desktop, DESKTOP_UNAVAILABLE when it
     *                         does not run
     */
    @PreAuthorize("isAuthenticated()")
    public Applied apply(String desktopId, String code) {
        KeyboardLayout layout = byCode(code)
                .orElseThrow(() -> InvalidInputException.of("layout", "is not a layout Atrium offers"));
        Desktop d = desktops.myDesktop(desktopId);
        if (!d.state().isAssigned()) {
            throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "Desktop " + d.name() + " is not in use.");
        }
        try {
            machines.guest(d.name(), new GuestRequest.SetKeyboardLayout(layout.layout(), layout.variant()));
        } catch (MachineException e) {
            return switch (e.kind()) {
                case GUEST_UNAVAILABLE -> Applied.NOT_SUPPORTED;
                case NOT_RUNNING -> throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE,
                        "Desktop " + d.name() + " is not running.", e);
                default -> throw new BrokerException(BrokerStatus.INTERNAL,
                        "The keyboard layout could not be set: " + e.getMessage(), e);
            };
        }
        audit.record("keyboard.layout", "desktop", d.id(), Map.of("layout", layout.code()));
        return Applied.APPLIED;
    }
}
