package io.atrium.web.ui;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Image;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.FlexLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.progressbar.ProgressBar;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.streams.DownloadHandler;
import com.vaadin.flow.server.streams.DownloadResponse;
import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.portal.PortalService;
import jakarta.annotation.security.PermitAll;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * "My desktops": one card per pool the user may use, with their desktop's state in words, a live thumbnail of their
 * own desktop, and, while the pool cannot give them one yet, what is happening with a progress bar ("building the
 * desktop image, 2 of 5 steps", "starting desktops: 1 of 3 ready"), from {@link PortalService}. Cards:
 * {@code .desktop-card[data-pool]} with {@code .desktop-state}, {@code .desktop-thumbnail}, {@code .desktop-progress}
 * ({@code .desktop-progress-text} and a progress bar) and {@code .open-desktop}.
 */
@Route(value = "", layout = MainLayout.class)
@PageTitle("My desktops · Atrium")
@PermitAll
public class MyDesktopsView extends VerticalLayout {
    private final DesktopService desktops;
    private final PortalService portal;
    private final FlexLayout cards = new FlexLayout();
    private final Map<String, Image> thumbnails = new HashMap<>();
    private String shown = "";

    public MyDesktopsView(DesktopService desktops, PortalService portal) {
        this.desktops = desktops;
        this.portal = portal;
        cards.setFlexWrap(FlexLayout.FlexWrap.WRAP);
        cards.getStyle().set("gap", "var(--lumo-space-m)");
        cards.setId("desktop-cards");
        add(new H1("My desktops"), cards);
    }

    @Override
    protected void onAttach(AttachEvent event) {
        refresh();
        UI ui = event.getUI();
        ui.setPollInterval(3000);
        ui.addPollListener(e -> refresh());
    }

    /** Rebuilds the cards when what they show changed; otherwise only fetches fresh thumbnails. */
    private void refresh() {
        List<PortalService.Card> mine = portal.cards();
        String signature = mine.stream().map(c -> c.desktop().pool().id() + "|" + c.state() + "|"
                + c.desktop().desktop().map(d -> d.id() + d.state()).orElse("") + "|" + c.openable() + "|"
                + c.progress().map(PortalService.Progress::text).orElse("")).toList().toString();
        if (signature.equals(shown)) {
            thumbnails.forEach((id, img) -> img.setSrc(screenOf(id)));
            return;
        }
        shown = signature;
        cards.removeAll();
        thumbnails.clear();
        if (mine.isEmpty()) {
            cards.add(new Paragraph("You have no desktops. Ask your administrator for access to a pool."));
        }
        mine.forEach(card -> cards.add(card(card)));
    }

    private Div card(PortalService.Card card) {
        DesktopService.MyDesktop my = card.desktop();
        Div box = new Div();
        box.addClassName("desktop-card");
        box.getElement().setAttribute("data-pool", my.pool().name());
        box.getStyle().set("border", "1px solid var(--lumo-contrast-20pct)").set("border-radius", "var(--lumo-border-radius-l)")
                .set("padding", "var(--lumo-space-m)").set("width", "18rem").set("background", "var(--lumo-base-color)")
                .set("display", "flex").set("flex-direction", "column").set("gap", "var(--lumo-space-s)");
        H3 title = new H3(my.displayName());
        title.getStyle().set("margin", "0");
        box.add(title);
        my.desktop().filter(d -> d.state().isAssigned()).ifPresent(d -> box.add(thumbnail(d)));
        Span state = new Span(card.state());
        state.addClassName("desktop-state");
        state.getElement().getThemeList().add("badge");
        box.add(state);
        card.progress().ifPresent(p -> box.add(progress(p)));
        Paragraph spec = new Paragraph(my.pool().vcpus() + " vCPU · " + my.pool().memoryMb() + " MB · pool "
                + my.pool().name());
        spec.getStyle().set("color", "var(--lumo-secondary-text-color)").set("margin", "0");
        Button open = new Button("Open", e -> open(my));
        open.addClassName("open-desktop");
        open.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        open.setEnabled(card.openable());
        box.add(spec, open);
        return box;
    }

    private Div progress(PortalService.Progress p) {
        Span text = new Span(p.text());
        text.addClassName("desktop-progress-text");
        text.getStyle().set("font-size", "var(--lumo-font-size-s)");
        ProgressBar bar = new ProgressBar(0, Math.max(1, p.total()), Math.min(p.done(), Math.max(1, p.total())));
        Div box = new Div(text, bar);
        box.addClassName("desktop-progress");
        box.getElement().setAttribute("data-done", String.valueOf(p.done()));
        box.getElement().setAttribute("data-total", String.valueOf(p.total()));
        return box;
    }

    private Image thumbnail(Desktop d) {
        Image img = new Image(screenOf(d.id()), "screen of " + d.name());
        img.addClassName("desktop-thumbnail");
        img.getElement().setAttribute("data-desktop", d.id());
        img.setWidth("100%");
        img.getStyle().set("aspect-ratio", "16 / 10").set("object-fit", "contain").set("background", "#000")
                .set("border-radius", "var(--lumo-border-radius-m)");
        thumbnails.put(d.id(), img);
        return img;
    }

    /** The user's own desktop's screen, authorized by the broker as theirs. */
    private DownloadHandler screenOf(String desktopId) {
        return DownloadHandler.fromInputStream(event -> {
            Optional<byte[]> png;
            try {
                png = portal.thumbnail(desktopId);
            } catch (BrokerException e) {
                return DownloadResponse.error(404, "no screen");
            }
            return png.map(b -> new DownloadResponse(new ByteArrayInputStream(b), "screen.png", "image/png", b.length))
                    .orElseGet(() -> DownloadResponse.error(404, "no screen"));
        });
    }

    private void open(DesktopService.MyDesktop card) {
        try {
            Desktop d = card.desktop().orElseGet(() -> desktops.open(card.pool().id()));
            getUI().ifPresent(ui -> ui.navigate(DesktopView.class, new com.vaadin.flow.router.RouteParameters("id", d.id())));
        } catch (BrokerException e) {
            Notification n = Notification.show(e.getMessage(), 6000, Notification.Position.MIDDLE);
            n.addThemeVariants(NotificationVariant.LUMO_ERROR);
            shown = "";
            refresh();
        }
    }
}
