package io.atrium.web.ui;

import com.vaadin.flow.component.applayout.AppLayout;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.spring.security.AuthenticationContext;
import jakarta.annotation.security.PermitAll;

/** The frame of the logged-in pages: product name, navigation, user and logout. */
@PermitAll
public class MainLayout extends AppLayout {

    public MainLayout(AuthenticationContext auth) {
        H2 title = new H2("Atrium");
        title.getStyle().set("font-size", "1.25rem").set("margin", "0 var(--lumo-space-m)");
        RouterLink mine = new RouterLink("My desktops", MyDesktopsView.class);
        Span user = new Span(auth.getPrincipalName().orElse(""));
        user.setId("current-user");
        Button logout = new Button("Log out", e -> auth.logout());
        logout.setId("logout");
        RouterLink account = new RouterLink("My account", AccountView.class);
        account.setId("account-link");
        HorizontalLayout links = new HorizontalLayout(mine, account);
        if (auth.hasRole("ADMIN")) {
            RouterLink admin = new RouterLink("Admin", io.atrium.web.ui.admin.AdminView.class);
            admin.setId("admin-link");
            links.add(admin);
        }
        HorizontalLayout bar = new HorizontalLayout(title, links, user, logout);
        bar.setWidthFull();
        bar.setAlignItems(FlexComponent.Alignment.CENTER);
        bar.expand(links);
        bar.getStyle().set("padding-right", "var(--lumo-space-m)");
        addToNavbar(bar);
    }
}
