package io.atrium.web.ui;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.FlexLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import jakarta.annotation.security.PermitAll;

import java.util.List;

/** "My desktops": one card per desktop (or pool) the user may use, with its state and Open. */
@Route(value = "", layout = MainLayout.class)
@PageTitle("My desktops · Atrium")
@PermitAll
public class MyDesktopsView extends VerticalLayout {
    private final DesktopService desktops;
    private final FlexLayout cards = new FlexLayout();

    public MyDesktopsView(DesktopService desktops) {
        this.desktops = desktops;
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

    private void refresh() {
        cards.removeAll();
        List<DesktopService.MyDesktop> mine = desktops.myDesktops();
        if (mine.isEmpty()) {
            cards.add(new Paragraph("You have no desktops. Ask your administrator for access to a pool."));
        }
        mine.forEach(card -> cards.add(card(card)));
    }

    private Div card(DesktopService.MyDesktop card) {
        Div box = new Div();
        box.addClassName("desktop-card");
        box.getElement().setAttribute("data-pool", card.pool().name());
        box.getStyle().set("border", "1px solid var(--lumo-contrast-20pct)").set("border-radius", "var(--lumo-border-radius-l)")
                .set("padding", "var(--lumo-space-m)").set("width", "18rem").set("background", "var(--lumo-base-color)");
        H3 title = new H3(card.displayName());
        Span state = new Span(stateText(card));
        state.addClassName("desktop-state");
        state.getElement().getThemeList().add("badge");
        Paragraph spec = new Paragraph(card.pool().vcpus() + " vCPU · " + card.pool().memoryMb() + " MB · pool "
                + card.pool().name());
        spec.getStyle().set("color", "var(--lumo-secondary-text-color)");
        Button open = new Button("Open", e -> open(card));
        open.addClassName("open-desktop");
        open.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        boolean failed = card.desktop().map(d -> d.state() == DesktopState.FAILED).orElse(false);
        open.setEnabled(card.desktop().isPresent() ? !failed : card.free() > 0);
        box.add(title, state, spec, open);
        return box;
    }

    private static String stateText(DesktopService.MyDesktop card) {
        return card.desktop().map(d -> d.state().name().toLowerCase().replace('_', ' '))
                .orElse(card.free() > 0 ? card.free() + " available" : "none free");
    }

    private void open(DesktopService.MyDesktop card) {
        try {
            Desktop d = card.desktop().orElseGet(() -> desktops.open(card.pool().id()));
            getUI().ifPresent(ui -> ui.navigate(DesktopView.class, new com.vaadin.flow.router.RouteParameters("id", d.id())));
        } catch (BrokerException e) {
            Notification n = Notification.show(e.getMessage(), 6000, Notification.Position.MIDDLE);
            n.addThemeVariants(NotificationVariant.LUMO_ERROR);
            refresh();
        }
    }
}
