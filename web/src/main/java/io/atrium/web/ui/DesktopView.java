package io.atrium.web.ui;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.HasDynamicTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.image.RolloutService;
import io.atrium.broker.keyboard.KeyboardService;
import io.atrium.broker.transfer.FileTransferService;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.TicketService;
import io.atrium.viewer.DesktopViewer;
import io.atrium.web.console.CloseCodes;
import jakarta.annotation.security.PermitAll;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The desktop viewer page. The route carries only the desktop id; whether the user may see it
 * is decided by {@link DesktopService#myDesktop} and, per connection, by {@link TicketService}.
 * The viewer learns what each close code means from the gateway's table ({@link CloseCodes}), gets the keyboard
 * layouts ({@link KeyboardService}), the pool's clipboard directions and, unless the pool allows no files, the file
 * transfers of the user's folder ({@link DesktopFiles} over {@link FileTransferService}); the broker services check
 * every call against the logged-in user.
 */
@Route("desktop/:id")
@PermitAll
public class DesktopView extends VerticalLayout implements BeforeEnterObserver, HasDynamicTitle {
    private final DesktopService desktops;
    private final TicketService tickets;
    private final KeyboardService keyboards;
    private final FileTransferService files;
    private final TransferPolicyService transfers;
    private final RolloutService rollouts;
    private String title = "Desktop · Atrium";

    public DesktopView(DesktopService desktops, TicketService tickets, KeyboardService keyboards,
                       FileTransferService files, TransferPolicyService transfers,
                       RolloutService rollouts) {
        this.desktops = desktops;
        this.tickets = tickets;
        this.keyboards = keyboards;
        this.files = files;
        this.transfers = transfers;
        this.rollouts = rollouts;
        setSizeFull();
        setPadding(false);
        setSpacing(false);
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        removeAll();
        String id = event.getRouteParameters().get("id").orElse("");
        RouterLink back = new RouterLink("← My desktops", MyDesktopsView.class);
        back.setId("back-to-desktops");
        back.getStyle().set("padding", "var(--lumo-space-xs) var(--lumo-space-m)");
        try {
            Desktop d = desktops.myDesktop(id);
            title = d.name() + " · Atrium";
            // The broker ends the session and closes the viewer (4010); the page then leaves.
            Button logOff = new Button("Log off", e -> {
                desktops.logOff(d.id());
                getUI().ifPresent(ui -> ui.navigate(MyDesktopsView.class));
            });
            logOff.setId("log-off");
            logOff.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
            Div top = new Div(back, logOff);
            top.getStyle().set("display", "flex").set("justify-content", "space-between").set("width", "100%");
            DesktopViewer viewer = new DesktopViewer(d.name(), () -> {
                ConsoleTicket t = tickets.issue(d.id());
                return "/gateway/vnc?desktop=" + enc(d.id()) + "&ticket=" + enc(t.value());
            });
            viewer.setId("viewer");
            viewer.setCloseCodes(CloseCodes.forViewer());
            viewer.setKeyboard(KeyboardService.LAYOUTS.stream()
                            .map(l -> new DesktopViewer.KeyboardOption(l.code(), l.name())).toList(),
                    code -> keyboards.apply(d.id(), code) == KeyboardService.Applied.APPLIED);
            TransferPolicy policy = transfers.policyFor(d.poolId());
            viewer.setClipboard(policy.clipboard().browserToGuest(), policy.clipboard().guestToBrowser());
            if (policy.files() != TransferPolicy.FileMode.NONE) {
                viewer.setFiles(new DesktopFiles(files, d.id()));
            }
            add(top, new RolloutNotice(rollouts, d.id()), viewer);
            setFlexGrow(1, viewer);
        } catch (BrokerException e) {
            title = "Desktop unavailable · Atrium";
            Div error = new Div(new H2("This desktop cannot be opened"), new Paragraph(e.getMessage()));
            error.setId("desktop-error");
            error.getStyle().set("padding", "var(--lumo-space-l)");
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
