package io.atrium.web.ui.admin;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouteParameters;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.shared.Registration;
import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopAdminService.PoolStatus;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.network.PoolNetworkService;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

/** Every pool with its sizes and desktop counts; create, edit, delete. Services check {@code ROLE_ADMIN}. */
@Route(value = "admin/pools", layout = MainLayout.class)
@PageTitle("Pools · Atrium")
@RolesAllowed("ADMIN")
public class PoolsView extends VerticalLayout {
    private final PoolAdminService pools;
    private final DesktopAdminService desktops;
    private final GpuService gpus;
    private final PoolNetworkService networks;
    private final TransferPolicyService transfers;
    private final Grid<PoolStatus> grid = new Grid<>();
    private Registration poll;

    public PoolsView(PoolAdminService pools, DesktopAdminService desktops, GpuService gpus,
                     PoolNetworkService networks,
                     TransferPolicyService transfers) {
        this.transfers = transfers;
        this.pools = pools;
        this.desktops = desktops;
        this.gpus = gpus;
        this.networks = networks;
        setId("pools-view");
        Button create = new Button("New pool", e -> new PoolEditor(pools, gpus, null, p -> refresh(), sections(null))
                .open());
        create.setId("pool-create");
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);

        grid.setId("pool-grid");
        grid.addComponentColumn(s -> {
            RouterLink link = new RouterLink(s.pool().name(), PoolView.class, new RouteParameters("id", s.pool().id()));
            link.addClassName("pool-link");
            link.getElement().setAttribute("data-pool", s.pool().name());
            return link;
        }).setHeader("Name").setAutoWidth(true);
        grid.addColumn(s -> s.pool().kind().name().toLowerCase()).setHeader("Kind").setAutoWidth(true);
        grid.addColumn(s -> s.pool().image() + " · " + s.pool().vcpus() + " vCPU · " + s.pool().memoryMb() + " MB")
                .setHeader("Spec").setAutoWidth(true);
        grid.addColumn(s -> s.pool().minSize() + "–" + s.pool().maxSize() + " (+" + s.pool().spares() + " spares)")
                .setHeader("Size (min–max)").setAutoWidth(true);
        grid.addColumn(PoolStatus::size).setHeader("Desktops");
        grid.addColumn(PoolStatus::ready).setHeader("Ready");
        grid.addColumn(PoolStatus::assigned).setHeader("Assigned");
        grid.addColumn(s -> String.join(", ", s.pool().entitled())).setHeader("Entitled").setAutoWidth(true);
        grid.addComponentColumn(s -> {
            Button edit = new Button("Edit", e -> edit(s.pool()));
            edit.addClassName("pool-edit");
            edit.getElement().setAttribute("data-pool", s.pool().name());
            edit.addThemeVariants(ButtonVariant.LUMO_SMALL);
            Button delete = new Button("Delete", e -> confirmDelete(s));
            delete.addClassName("pool-delete");
            delete.getElement().setAttribute("data-pool", s.pool().name());
            delete.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
            return new HorizontalLayout(edit, delete);
        }).setHeader("").setAutoWidth(true);
        grid.setAllRowsVisible(true);
        add(new H1("Pools"), create, grid);
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

    private void refresh() {
        grid.setItems(desktops.poolStatuses());
    }

    private void edit(Pool pool) {
        try {
            Pool current = pools.get(pool.id());
            new PoolEditor(pools, gpus, current, p -> refresh(), sections(current)).open();
        } catch (BrokerException e) {
            PoolEditor.error(e.getMessage());
            refresh();
        }
    }

    private void confirmDelete(PoolStatus s) {
        Dialog d = new Dialog();
        d.setId("pool-delete-dialog");
        d.setHeaderTitle("Delete pool " + s.pool().name() + "?");
        d.add(new Paragraph("Its " + s.size() + " desktop(s) are deleted with their disks"
                + (s.assigned() > 0 ? "; " + s.assigned() + " are in use" : "") + "."));
        Checkbox force = new Checkbox("Also while desktops are assigned (their users lose them)");
        force.setId("pool-delete-force");
        d.add(force);
        Button ok = new Button("Delete", e -> {
            try {
                pools.delete(s.pool().id(), force.getValue());
                Notification.show("Pool " + s.pool().name() + " deleted");
                d.close();
            } catch (BrokerException ex) {
                PoolEditor.error(ex.getMessage());
            }
            refresh();
        });
        ok.setId("pool-delete-confirm");
        ok.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_ERROR);
        d.getFooter().add(new Button("Cancel", e -> d.close()), ok);
        d.open();
    }

    /** The editor's feature sections (their settings live in their own services). */
    private java.util.List<PoolEditorSection> sections(Pool existing) {
        java.util.List<PoolEditorSection> sections = new java.util.ArrayList<>(PoolNetworkSection.of(networks, existing));
        sections.add(new TransferPolicySection(transfers, existing));
        return sections;
    }
}
