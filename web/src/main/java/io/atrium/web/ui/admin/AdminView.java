package io.atrium.web.ui.admin;

import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

/** The administrator's start page; sections (pools, GPUs, sessions) are reached from here. */
@Route(value = "admin", layout = MainLayout.class)
@PageTitle("Admin · Atrium")
@RolesAllowed("ADMIN")
public class AdminView extends VerticalLayout {
    public AdminView() {
        add(new H1("Administration"), new Paragraph("Pools, hosts, GPUs, users and the audit log."));
        RouterLink gpus = new RouterLink("GPUs: slices, modes and what still fits", GpuView.class);
        gpus.setId("admin-gpus-link");
        add(gpus);
        RouterLink pools = new RouterLink("Pools: desktops, power actions and sessions", PoolsView.class);
        pools.setId("admin-pools-link");
        add(pools);
        RouterLink users = new RouterLink("Users & groups: accounts, groups, lockouts, two-step verification", UsersView.class);
        users.setId("admin-users-link");
        add(users);
        RouterLink audit = new RouterLink("Audit log: who did what, filters and CSV export", AuditView.class);
        audit.setId("admin-audit-link");
        add(audit);
    }
}
