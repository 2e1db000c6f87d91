package io.atrium.web.ui.admin;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
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
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.progressbar.ProgressBar;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.server.streams.DownloadHandler;
import com.vaadin.flow.server.streams.DownloadResponse;
import com.vaadin.flow.shared.Registration;
import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopAdminService.PoolStatus;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.RolloutService;
import io.atrium.broker.session.Session;
import io.atrium.broker.session.SessionAdminService;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.function.Consumer;

/**
 * One pool: its desktops with state, user, a live thumbnail (QMP screendump, every 3 s) and power actions; a
 * progress bar while it warms up; and its active sessions (from {@link SessionAdminService}) with disconnect and
 * log off, which the broker carries out and for which it decides the viewer's close code.
 */
@Route(value = "admin/pools/:id", layout = MainLayout.class)
@PageTitle("Pool · Atrium")
@RolesAllowed("ADMIN")
public class PoolView extends VerticalLayout implements BeforeEnterObserver {
    private final DesktopAdminService admin;
    private final SessionAdminService sessionAdmin;
    private final H1 title = new H1();
    private final Paragraph summary = new Paragraph();
    private final ProgressBar progress = new ProgressBar();
    private final Span progressText = new Span();
    private final Div desktopList = new Div();
    private final Div sessionList = new Div();
    private final PoolImagePanel image;
    private String poolId;
    private Registration poll;

    public PoolView(DesktopAdminService admin, SessionAdminService sessionAdmin, RolloutService rollouts,
                    ImageLibraryService library) {
        this.admin = admin;
        this.sessionAdmin = sessionAdmin;
        this.image = new PoolImagePanel(rollouts, library);
        setId("pool-view");
        summary.setId("pool-summary");
        progress.setId("pool-progress");
        progressText.setId("pool-progress-text");
        desktopList.setId("desktop-list");
        desktopList.getStyle().set("display", "flex").set("flex-direction", "column").set("gap", "var(--lumo-space-s)")
                .set("width", "100%");
        sessionList.setId("session-list");
        RouterLink back = new RouterLink("← all pools", PoolsView.class);
        VerticalLayout warm = new VerticalLayout(progressText, progress);
        warm.setId("pool-warming");
        warm.setPadding(false);
        warm.setSpacing(false);
        warm.setWidth("24rem");
        add(back, title, summary, warm, new H3("Desktops"), desktopList, new H3("Sessions"), sessionList, image);
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        poolId = event.getRouteParameters().get("id").orElse("");
        refresh();
    }

    @Override
    protected void onAttach(AttachEvent event) {
        UI ui = event.getUI();
        ui.setPollInterval(3000);
        poll = ui.addPollListener(e -> refresh());
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (poll != null) {
            poll.remove();
        }
    }

    private final Map<String, Image> thumbnails = new HashMap<>();
    private String shownSignature = "";

    private void refresh() {
        PoolStatus s;
        List<Desktop> desktops;
        List<Session> sessions;
        try {
            s = admin.poolStatus(poolId);
            desktops = admin.desktopsOf(poolId);
            sessions = sessionAdmin.list(Optional.of(poolId), Optional.of(true), 1000);
        } catch (BrokerException e) {
            title.setText("Pool not found");
            summary.setText(e.getMessage());
            desktopList.removeAll();
            sessionList.removeAll();
            progress.getParent().ifPresent(p -> p.setVisible(false));
            return;
        }
        title.setText("Pool " + s.pool().name());
        image.show(poolId);
        summary.setText(s.pool().kind().name().toLowerCase(Locale.ROOT) + " · " + s.pool().image() + " · "
                + s.pool().vcpus() + " vCPU · " + s.pool().memoryMb() + " MB · size " + s.pool().minSize() + "–"
                + s.pool().maxSize() + " (+" + s.pool().spares() + " spares) · " + s.size() + " desktops, " + s.ready()
                + " ready, " + s.assigned() + " assigned" + (s.failed() > 0 ? ", " + s.failed() + " failed" : "")
                + (s.stopped() > 0 ? ", " + s.stopped() + " stopped" : ""));
        int runningOrUsed = s.size() - s.provisioning() - s.failed() - s.stopped();
        int goal = Math.max(1, s.target());
        progress.getParent().ifPresent(p -> p.setVisible(s.warmingUp()));
        progress.setMin(0);
        progress.setMax(goal);
        progress.setValue(Math.min(goal, Math.max(0, runningOrUsed)));
        progressText.setText("warming up: " + Math.max(0, runningOrUsed) + " of " + s.target() + " ready");

        // Rebuild the rows only when something a row shows changed, so a click is never lost to a
        // re-render; otherwise just fetch fresh thumbnails.
        String signature = desktops.stream().map(d -> d.id() + "|" + d.state() + "|" + d.assignedUser() + "|"
                + d.stateReason()).toList() + " " + sessions.stream().map(x -> x.id() + "|" + x.isConnected()).toList();
        if (signature.equals(shownSignature)) {
            thumbnails.forEach((id, img) -> img.setSrc(screenOf(id, img.getAlt().orElse(id))));
            return;
        }
        shownSignature = signature;
        thumbnails.clear();
        desktopList.removeAll();
        if (desktops.isEmpty()) {
            desktopList.add(new Span("No desktops."));
        }
        desktops.forEach(d -> desktopList.add(row(d)));
        sessionList.removeAll();
        if (sessions.isEmpty()) {
            sessionList.add(new Span("No sessions."));
        }
        Map<String, Desktop> byId = desktops.stream().collect(Collectors.toMap(Desktop::id, Function.identity()));
        sessions.forEach(x -> sessionList.add(sessionRow(x, byId.get(x.desktopId()))));
    }

    private Div row(Desktop d) {
        Div row = new Div();
        row.addClassName("desktop-row");
        row.getElement().setAttribute("data-desktop", d.name());
        row.getElement().setAttribute("data-state", d.state().name());
        row.getStyle().set("display", "flex").set("align-items", "center").set("gap", "var(--lumo-space-m)")
                .set("border", "1px solid var(--lumo-contrast-10pct)").set("border-radius", "var(--lumo-border-radius-m)")
                .set("padding", "var(--lumo-space-xs) var(--lumo-space-s)");
        row.add(thumbnail(d));
        Span name = new Span(d.name());
        name.addClassName("desktop-name");
        name.getStyle().set("font-weight", "600").set("min-width", "8rem");
        Span state = new Span(d.state().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        state.addClassName("desktop-state");
        state.getElement().getThemeList().add(("badge " + badge(d.state())).strip());
        Span user = new Span(d.assignedUser() == null ? "" : d.assignedUser());
        user.addClassName("desktop-user");
        user.getStyle().set("min-width", "6rem");
        Span reason = new Span(d.stateReason() == null ? "" : d.stateReason());
        reason.addClassName("desktop-reason");
        reason.getStyle().set("color", "var(--lumo-secondary-text-color)").set("font-size", "var(--lumo-font-size-s)")
                .set("flex", "1");
        HorizontalLayout actions = new HorizontalLayout(
                action("Start", "desktop-start", d, admin::start),
                action("Shut down", "desktop-shutdown", d, admin::shutdown),
                action("Reset", "desktop-reset", d, admin::reset),
                action("Refresh", "desktop-refresh", d, admin::refresh),
                action("Delete", "desktop-delete", d, id -> admin.delete(id, false)));
        actions.setSpacing(false);
        actions.getStyle().set("gap", "var(--lumo-space-xs)");
        row.add(name, state, user, reason, actions);
        return row;
    }

    private DownloadHandler screenOf(String id, String name) {
        return DownloadHandler.fromInputStream(event -> {
            byte[] png = admin.screendump(id).orElse(null);
            if (png == null) {
                return DownloadResponse.error(404, "no screen");
            }
            return new DownloadResponse(new ByteArrayInputStream(png), name + ".png", "image/png", png.length);
        });
    }

    private Image thumbnail(Desktop d) {
        Image img = new Image(screenOf(d.id(), d.name()), d.name());
        thumbnails.put(d.id(), img);
        img.addClassName("desktop-thumbnail");
        img.setWidth("160px");
        img.setHeight("100px");
        img.getStyle().set("object-fit", "contain").set("background", "#111").set("border-radius", "4px");
        return img;
    }

    /** A session row; {@code d} is the session's desktop as listed above, {@code null} if it is not (any more). */
    private Div sessionRow(Session session, Desktop d) {
        Div row = new Div();
        row.addClassName("session-row");
        row.getElement().setAttribute("data-desktop", session.desktopName());
        row.getElement().setAttribute("data-session", session.id());
        row.getStyle().set("display", "flex").set("align-items", "center").set("gap", "var(--lumo-space-m)");
        boolean viewing = session.isConnected();
        Span text = new Span(session.username() + " on " + session.desktopName()
                + (d == null ? "" : " · " + d.state().name().toLowerCase(Locale.ROOT))
                + (viewing ? " · viewer connected" : ""));
        Button disconnect = new Button("Disconnect", e -> run(() -> sessionAdmin.disconnect(session.id()),
                "Disconnected " + session.username() + " from " + session.desktopName()));
        disconnect.addClassName("session-disconnect");
        disconnect.addThemeVariants(ButtonVariant.LUMO_SMALL);
        disconnect.setEnabled(viewing);
        Button logOff = new Button("Log off", e -> run(() -> sessionAdmin.logOff(session.id()),
                "Logged " + session.username() + " off " + session.desktopName()));
        logOff.addClassName("session-logoff");
        logOff.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
        row.add(text, disconnect, logOff);
        return row;
    }

    private Button action(String label, String className, Desktop d, Consumer<String> call) {
        Button b = new Button(label, e -> run(() -> call.accept(d.id()), label + ": " + d.name()));
        b.addClassName(className);
        b.addThemeVariants(ButtonVariant.LUMO_SMALL);
        if ("desktop-delete".equals(className)) {
            b.addThemeVariants(ButtonVariant.LUMO_ERROR);
        }
        return b;
    }

    private void run(Runnable call, String done) {
        try {
            call.run();
            Notification.show(done);
        } catch (BrokerException e) {
            PoolEditor.error(e.getMessage());
        }
        refresh();
    }

    private static String badge(DesktopState s) {
        return switch (s) {
            case READY -> "success";
            case ASSIGNED, CONNECTED, DISCONNECTED -> "";
            case FAILED -> "error";
            default -> "contrast";
        };
    }
}
