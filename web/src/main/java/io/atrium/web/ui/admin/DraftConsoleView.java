package io.atrium.web.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.HasDynamicTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import io.atrium.broker.BrokerException;
import io.atrium.broker.image.DraftConsoleTickets;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.viewer.DesktopViewer;
import io.atrium.web.console.CloseCodes;
import jakarta.annotation.security.RolesAllowed;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The console of a version's draft machine, in the normal browser viewer: the administrator installs from an ISO or
 * edits a version there, then seals it (through the guest agent) as the next version. Tickets come from
 * {@link DraftConsoleTickets} ({@code ROLE_ADMIN}).
 */
@Route("admin/images/draft/:version")
@RolesAllowed("ADMIN")
public class DraftConsoleView extends VerticalLayout implements BeforeEnterObserver, HasDynamicTitle {
    private final ImageLibraryService library;
    private final DraftConsoleTickets tickets;
    private String title = "Draft · Atrium";

    public DraftConsoleView(ImageLibraryService library, DraftConsoleTickets tickets) {
        this.library = library;
        this.tickets = tickets;
        setSizeFull();
        setPadding(false);
        setSpacing(false);
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        removeAll();
        String id = event.getRouteParameters().get("version").orElse("");
        RouterLink back = new RouterLink("← Images", ImagesView.class);
        back.getStyle().set("padding", "var(--lumo-space-xs) var(--lumo-space-m)");
        try {
            ImageVersion v = library.version(id);
            title = "Draft " + v.label() + " · Atrium";
            Span about = new Span("Draft " + v.label() + ": change it here, then seal it as the version ("
                    + "machine-id, SSH host keys, cloud-init state and DHCP leases are cleared through the guest agent).");
            Button seal = new Button("Seal as " + v.label(), e -> {
                library.seal(v.id(), true);
                getUI().ifPresent(ui -> ui.navigate(ImagesView.class));
            });
            seal.setId("draft-seal");
            seal.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_SMALL);
            Div top = new Div(back, about, seal);
            top.getStyle().set("display", "flex").set("gap", "var(--lumo-space-m)").set("align-items", "center")
                    .set("width", "100%");
            DesktopViewer viewer = new DesktopViewer(v.machine().orElse(v.id()), () -> {
                ConsoleTicket t = tickets.issue(v.id());
                return "/gateway/vnc?desktop=" + enc(t.desktopId()) + "&ticket=" + enc(t.value());
            });
            viewer.setId("viewer");
            viewer.setCloseCodes(CloseCodes.forViewer());
            add(top, viewer);
            setFlexGrow(1, viewer);
        } catch (BrokerException e) {
            Div error = new Div(new H2("This draft cannot be opened"), new Paragraph(e.getMessage()));
            error.setId("draft-error");
            add(back, error);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String getPageTitle() {
        return title;
    }
}
