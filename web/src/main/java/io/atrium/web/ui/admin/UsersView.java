package io.atrium.web.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.formlayout.FormLayout;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.Lockout;
import io.atrium.broker.identity.UserAdminService;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Users & groups: every account (local, directory, SSO) with its state; create a local account (one-time password
 * shown once), edit (name, enabled, administrator, groups), reset a password or a second factor, delete; groups;
 * the brute-force guard's lockouts (clear one); "require MFA for administrators". {@link UserAdminService} checks
 * {@code ROLE_ADMIN} and audits each action.
 */
@Route(value = "admin/users", layout = MainLayout.class)
@PageTitle("Users & groups · Atrium")
@RolesAllowed("ADMIN")
public class UsersView extends VerticalLayout {
    private final UserAdminService users;
    private final Grid<Account> grid = new Grid<>();
    private final Grid<UserAdminService.Group> groups = new Grid<>();
    private final Grid<Lockout> lockouts = new Grid<>();

    public UsersView(UserAdminService users) {
        this.users = users;
        setId("users-view");
        Button create = new Button("New local user", e -> editor(null));
        create.setId("user-create");
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        Checkbox requireMfa = new Checkbox("Require two-step verification (TOTP) for administrators",
                users.mfaRequiredForAdmins());
        requireMfa.setId("require-mfa-admins");
        requireMfa.addValueChangeListener(e -> {
            if (e.isFromClient()) {
                users.requireMfaForAdmins(e.getValue());
                Notification.show(e.getValue() ? "Administrators now need a second factor"
                        : "Administrators no longer need a second factor");
            }
        });

        grid.setId("user-grid");
        grid.addColumn(Account::username).setHeader("User").setAutoWidth(true);
        grid.addColumn(Account::displayName).setHeader("Name").setAutoWidth(true);
        grid.addColumn(a -> a.source().name().toLowerCase()).setHeader("Source");
        grid.addColumn(a -> a.enabled() ? "enabled" : "disabled").setHeader("State");
        grid.addColumn(a -> a.admin() ? "yes" : "").setHeader("Admin");
        grid.addColumn(a -> a.mfaEnabled() ? "TOTP" : "").setHeader("2-step");
        grid.addColumn(a -> String.join(", ", a.groups())).setHeader("Groups").setAutoWidth(true);
        grid.addColumn(a -> a.lastLoginAt() == null ? "never" : a.lastLoginAt().toString()).setHeader("Last login");
        grid.addComponentColumn(a -> {
            Button edit = small("Edit", "user-edit", a, () -> editor(a));
            Button reset = small("Reset password", "user-reset-password", a, () -> resetPassword(a));
            reset.setEnabled(a.source() == AccountSource.LOCAL);
            Button mfa = small("Reset 2-step", "user-reset-mfa", a, () -> {
                users.resetSecondFactor(a.username());
                Notification.show("Two-step verification of " + a.username() + " removed");
            });
            mfa.setEnabled(a.mfaEnabled());
            Button delete = small("Delete", "user-delete", a, () -> {
                users.delete(a.username());
                Notification.show("User " + a.username() + " deleted");
            });
            delete.addThemeVariants(ButtonVariant.LUMO_ERROR);
            return new HorizontalLayout(edit, reset, mfa, delete);
        }).setAutoWidth(true);
        grid.setAllRowsVisible(true);

        TextField groupName = new TextField("New group");
        groupName.setId("group-name");
        Button addGroup = new Button("Add group", e -> {
            try {
                users.createGroup(groupName.getValue(), null);
                groupName.clear();
                groupName.setInvalid(false);
                refresh();
            } catch (InvalidInputException ex) {
                groupName.setInvalid(true);
                groupName.setErrorMessage(ex.fieldErrors().get("name"));
            }
        });
        addGroup.setId("group-create");
        groups.setId("group-grid");
        groups.addColumn(UserAdminService.Group::name).setHeader("Group");
        groups.addColumn(g -> g.defined() ? "defined here" : "from logins").setHeader("Kind");
        groups.addColumn(g -> String.join(", ", g.members())).setHeader("Members").setAutoWidth(true);
        groups.addComponentColumn(g -> {
            Button del = new Button("Delete", e -> run(() -> users.deleteGroup(g.name())));
            del.addClassName("group-delete");
            del.getElement().setAttribute("data-group", g.name());
            del.setEnabled(g.defined());
            del.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
            return del;
        });
        groups.setAllRowsVisible(true);

        lockouts.setId("lockout-grid");
        lockouts.addColumn(l -> l.kind() == Lockout.Kind.ADDRESS ? "address" : "account").setHeader("What");
        lockouts.addColumn(Lockout::subject).setHeader("Who");
        lockouts.addColumn(Lockout::failures).setHeader("Failures");
        lockouts.addColumn(l -> l.lastFailureAt().toString()).setHeader("Last failure");
        lockouts.addColumn(l -> l.lockedAt(Instant.now()) ? "until " + l.lockedUntil() : "").setHeader("Locked");
        lockouts.addComponentColumn(l -> {
            Button clear = new Button("Clear", e -> run(() -> users.clearLockout(l.key())));
            clear.addClassName("lockout-clear");
            clear.getElement().setAttribute("data-key", l.key());
            clear.addThemeVariants(ButtonVariant.LUMO_SMALL);
            return clear;
        });
        lockouts.setAllRowsVisible(true);

        add(new H1("Users & groups"), new HorizontalLayout(create, requireMfa), grid,
                new H3("Groups"), new HorizontalLayout(groupName, addGroup), groups,
                new H3("Failed logins and lockouts"), lockouts);
        refresh();
    }

    private Button small(String text, String cls, Account a, Runnable action) {
        Button b = new Button(text, e -> run(action));
        b.addClassName(cls);
        b.getElement().setAttribute("data-user", a.username());
        b.addThemeVariants(ButtonVariant.LUMO_SMALL);
        return b;
    }

    private void run(Runnable action) {
        try {
            action.run();
        } catch (BrokerException ex) {
            error(ex.getMessage());
        }
        refresh();
    }

    private void refresh() {
        grid.setItems(users.users());
        groups.setItems(users.groups());
        lockouts.setItems(users.lockouts());
    }

    private void resetPassword(Account a) {
        UserAdminService.WithPassword w = users.resetPassword(a.username());
        showPassword("New one-time password for " + a.username(), w.oneTimePassword());
    }

    private void editor(Account existing) {
        Dialog d = new Dialog();
        d.setId("user-editor");
        d.setHeaderTitle(existing == null ? "New local user" : "Edit " + existing.username());
        TextField username = new TextField("User name");
        username.setId("user-username");
        TextField name = new TextField("Display name");
        name.setId("user-display-name");
        TextField groupList = new TextField("Groups (comma-separated)");
        groupList.setId("user-groups");
        Checkbox admin = new Checkbox("Administrator");
        admin.setId("user-admin");
        Checkbox enabled = new Checkbox("Enabled", true);
        enabled.setId("user-enabled");
        if (existing != null) {
            username.setValue(existing.username());
            username.setReadOnly(true);
            name.setValue(existing.displayName());
            name.setReadOnly(existing.source() != AccountSource.LOCAL);
            groupList.setValue(String.join(", ", existing.groups()));
            admin.setValue(existing.admin());
            admin.setReadOnly(existing.source() != AccountSource.LOCAL);
            enabled.setValue(existing.enabled());
        }
        FormLayout form = new FormLayout(username, name, groupList, admin);
        if (existing != null) {
            form.add(enabled);
        }
        d.add(form);
        Button save = new Button("Save", e -> {
            List<String> gs = Arrays.stream(groupList.getValue().split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
            try {
                if (existing == null) {
                    UserAdminService.WithPassword w = users.create(new UserAdminService.NewUser(username.getValue(),
                            name.getValue(), admin.getValue(), gs));
                    d.close();
                    showPassword("One-time password for " + w.account().username(), w.oneTimePassword());
                } else {
                    users.update(existing.username(), new UserAdminService.UserChange(
                            existing.source() == AccountSource.LOCAL ? name.getValue() : null, enabled.getValue(),
                            existing.source() == AccountSource.LOCAL ? admin.getValue() : null, gs));
                    d.close();
                }
                refresh();
            } catch (InvalidInputException ex) {
                username.setInvalid(ex.fieldErrors().containsKey("username"));
                username.setErrorMessage(ex.fieldErrors().get("username"));
                groupList.setInvalid(ex.fieldErrors().containsKey("groups"));
                groupList.setErrorMessage(ex.fieldErrors().get("groups"));
                name.setInvalid(ex.fieldErrors().containsKey("displayName"));
                name.setErrorMessage(ex.fieldErrors().get("displayName"));
                if (ex.fieldErrors().containsKey("enabled") || ex.fieldErrors().containsKey("admin")) {
                    error(ex.getMessage());
                }
            } catch (BrokerException ex) {
                error(ex.getMessage());
            }
        });
        save.setId("user-save");
        save.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        d.getFooter().add(new Button("Cancel", e -> d.close()), save);
        d.open();
    }

    private static void showPassword(String title, String password) {
        Dialog d = new Dialog();
        d.setId("one-time-password");
        d.setHeaderTitle(title);
        Pre p = new Pre(password);
        p.setId("one-time-password-value");
        d.add(new Paragraph("Hand it over; it is shown only now. The user must change it at the first login."), p);
        Button ok = new Button("Done", e -> d.close());
        ok.setId("one-time-password-close");
        d.getFooter().add(ok);
        d.open();
    }

    private static void error(String message) {
        Notification n = Notification.show(message, 6000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }
}
