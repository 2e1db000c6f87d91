package io.atrium.web.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.datetimepicker.DateTimePicker;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.streams.DownloadHandler;
import com.vaadin.flow.server.streams.DownloadResponse;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The audit log for administrators: filters (who, action or its prefix, object type and id, outcome, time range),
 * the newest 500 matching entries, and a CSV export of what the filters match (up to 10000 rows). Times are UTC.
 */
@Route(value = "admin/audit", layout = MainLayout.class)
@PageTitle("Audit log · Atrium")
@RolesAllowed("ADMIN")
public class AuditView extends VerticalLayout {
    private final AuditLog audit;
    private final TextField actor = new TextField("Who");
    private final TextField action = new TextField("Action (e.g. login, pool.update)");
    private final TextField objectType = new TextField("Object type");
    private final TextField objectId = new TextField("Object id");
    private final Select<String> outcome = new Select<>();
    private final DateTimePicker from = new DateTimePicker("From (UTC)");
    private final DateTimePicker to = new DateTimePicker("To (UTC)");
    private final Grid<AuditEvent> grid = new Grid<>();

    public AuditView(AuditLog audit) {
        this.audit = audit;
        setId("audit-view");
        actor.setId("audit-actor");
        action.setId("audit-action");
        objectType.setId("audit-object-type");
        objectId.setId("audit-object-id");
        outcome.setLabel("Outcome");
        outcome.setId("audit-outcome");
        outcome.setItems("any", "SUCCESS", "FAILURE", "DENIED");
        outcome.setValue("any");
        from.setId("audit-from");
        to.setId("audit-to");
        Button search = new Button("Search", e -> refresh());
        search.setId("audit-search");
        Anchor csv = new Anchor(DownloadHandler.fromInputStream(event -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            var w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            audit.exportCsv(query(10_000), w);
            byte[] bytes = out.toByteArray();
            return new DownloadResponse(new java.io.ByteArrayInputStream(bytes), "atrium-audit.csv", "text/csv", bytes.length);
        }), "Export CSV");
        csv.setId("audit-export");
        csv.getElement().setAttribute("download", true);

        grid.setId("audit-grid");
        grid.addColumn(e -> e.at().toString()).setHeader("When (UTC)").setAutoWidth(true);
        grid.addColumn(AuditEvent::actor).setHeader("Who").setAutoWidth(true);
        grid.addColumn(AuditEvent::action).setHeader("Action").setAutoWidth(true);
        grid.addColumn(e -> e.outcome().name()).setHeader("Outcome");
        grid.addColumn(e -> e.objectType() == null ? "" : e.objectType() + " " + (e.objectId() == null ? "" : e.objectId()))
                .setHeader("Object").setAutoWidth(true);
        grid.addColumn(e -> e.client() == null ? "" : e.client()).setHeader("Client");
        grid.addColumn(e -> e.detail() == null ? "" : e.detail()).setHeader("Detail").setFlexGrow(1);
        grid.setHeight("60vh");
        HorizontalLayout filters = new HorizontalLayout(actor, action, objectType, objectId, outcome, from, to, search, csv);
        filters.setDefaultVerticalComponentAlignment(FlexComponent.Alignment.BASELINE);
        filters.getStyle().set("flex-wrap", "wrap");
        add(new H1("Audit log"), filters, grid);
        setSizeFull();
        refresh();
    }

    private AuditQuery query(int limit) {
        return new AuditQuery(instant(from.getValue()), instant(to.getValue()), blank(actor.getValue()),
                blank(action.getValue()), blank(objectType.getValue()), blank(objectId.getValue()),
                "any".equals(outcome.getValue()) ? null : AuditEvent.Outcome.valueOf(outcome.getValue()), limit);
    }

    private void refresh() {
        grid.setItems(audit.search(query(500)));
    }

    private static Instant instant(LocalDateTime t) {
        return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
