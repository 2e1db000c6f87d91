package io.atrium.web.ui;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountService;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.ApiToken;
import io.atrium.broker.identity.MfaService;
import io.atrium.broker.identity.TokenService;
import jakarta.annotation.security.PermitAll;

import java.time.Duration;
import java.time.Instant;

/**
 * The user's own account: password (local accounts), two-step verification (TOTP enrolment with QR code and recovery
 * codes, or turning it off), and personal API tokens (created with a scope and lifetime, shown once, revoked).
 */
@Route(value = "account", layout = MainLayout.class)
@PageTitle("My account · Atrium")
@PermitAll
public class AccountView extends VerticalLayout {
    private final AccountService accounts;
    private final MfaService mfa;
    private final TokenService tokens;
    private final Div mfaSection = new Div();
    private final Grid<ApiToken> tokenGrid = new Grid<>();

    public AccountView(AccountService accounts, MfaService mfa, TokenService tokens) {
        this.accounts = accounts;
        this.mfa = mfa;
        this.tokens = tokens;
        setId("account-view");
        Account me = accounts.me();
        add(new H1("My account"), new Paragraph(me.displayName() + " (" + me.username() + ") · "
                + me.source().name().toLowerCase() + " account · groups: "
                + (me.groups().isEmpty() ? "none" : String.join(", ", me.groups()))));
        if (me.source() == AccountSource.LOCAL) {
            add(passwordSection());
            mfaSection.setId("mfa-section");
            add(mfaSection);
            showMfa();
        }
        add(tokenSection(me));
    }

    private Div passwordSection() {
        PasswordField current = new PasswordField("Current password");
        current.setId("account-current-password");
        PasswordField next = new PasswordField("New password");
        next.setId("account-new-password");
        Button save = new Button("Change password", e -> {
            try {
                accounts.changePassword(current.getValue(), next.getValue());
                current.clear();
                next.clear();
                Notification.show("Password changed");
            } catch (InvalidInputException ex) {
                current.setInvalid(ex.fieldErrors().containsKey("current"));
                current.setErrorMessage(ex.fieldErrors().get("current"));
                next.setInvalid(ex.fieldErrors().containsKey("password"));
                next.setErrorMessage(ex.fieldErrors().get("password"));
            }
        });
        save.setId("account-change-password");
        return new Div(new H3("Password"), new HorizontalLayout(current, next, save));
    }

    private void showMfa() {
        mfaSection.removeAll();
        mfaSection.add(new H3("Two-step verification"));
        Account me = accounts.me();
        if (me.mfaEnabled()) {
            Paragraph state = new Paragraph("On: logins ask for a code from your authenticator app. "
                    + mfa.recoveryCodesLeft() + " recovery codes left.");
            state.setId("mfa-state");
            TextField code = new TextField("Current code");
            code.setId("mfa-disable-code");
            Button off = new Button("Turn off", e -> {
                try {
                    mfa.disable(code.getValue());
                    showMfa();
                } catch (InvalidInputException ex) {
                    code.setInvalid(true);
                    code.setErrorMessage(ex.fieldErrors().getOrDefault("code", ex.getMessage()));
                } catch (BrokerException ex) {
                    error(ex.getMessage());
                }
            });
            off.setId("mfa-disable");
            mfaSection.add(state, new HorizontalLayout(code, off));
        } else {
            Paragraph state = new Paragraph("Off.");
            state.setId("mfa-state");
            Button on = new Button("Set up an authenticator app", e -> {
                MfaService.Enrolment en = mfa.begin();
                mfaSection.add(LoginStepView.enrolmentPanel(en, codes -> showMfa(), mfa::confirm));
                e.getSource().setEnabled(false);
            });
            on.setId("mfa-enrol");
            on.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
            mfaSection.add(state, on);
        }
    }

    private Div tokenSection(Account me) {
        TextField name = new TextField("Token name");
        name.setId("token-name");
        Select<ApiToken.Scope> scope = new Select<>();
        scope.setLabel("Scope");
        scope.setId("token-scope");
        scope.setItems(me.admin() ? new ApiToken.Scope[] {ApiToken.Scope.USER, ApiToken.Scope.ADMIN}
                : new ApiToken.Scope[] {ApiToken.Scope.USER});
        scope.setValue(ApiToken.Scope.USER);
        IntegerField days = new IntegerField("Valid for (days)");
        days.setId("token-days");
        days.setValue(30);
        Button create = new Button("Create token", e -> {
            try {
                ApiToken.Created t = tokens.create(name.getValue(), scope.getValue(),
                        Duration.ofDays(days.getValue() == null ? 0 : days.getValue()));
                name.clear();
                showOnce(t);
                refreshTokens();
            } catch (InvalidInputException ex) {
                name.setInvalid(ex.fieldErrors().containsKey("name"));
                name.setErrorMessage(ex.fieldErrors().get("name"));
                days.setInvalid(ex.fieldErrors().containsKey("lifetime"));
                days.setErrorMessage(ex.fieldErrors().get("lifetime"));
                if (ex.fieldErrors().containsKey("user")) {
                    error(ex.fieldErrors().get("user"));
                }
            }
        });
        create.setId("token-create");
        tokenGrid.setId("token-grid");
        tokenGrid.addColumn(ApiToken::name).setHeader("Name");
        tokenGrid.addColumn(t -> t.scope().name()).setHeader("Scope");
        tokenGrid.addColumn(t -> t.createdAt().toString()).setHeader("Created");
        tokenGrid.addColumn(t -> t.expiresAt().toString()).setHeader("Expires");
        tokenGrid.addColumn(t -> t.lastUsedAt() == null ? "never" : t.lastUsedAt().toString()).setHeader("Last used");
        tokenGrid.addColumn(t -> t.revokedAt() != null ? "revoked" : t.activeAt(Instant.now()) ? "active" : "expired")
                .setHeader("State");
        tokenGrid.addComponentColumn(t -> {
            Button revoke = new Button("Revoke", e -> {
                try {
                    tokens.revokeMine(t.id());
                } catch (BrokerException ex) {
                    error(ex.getMessage());
                }
                refreshTokens();
            });
            revoke.addClassName("token-revoke");
            revoke.getElement().setAttribute("data-token", t.name());
            revoke.setEnabled(t.revokedAt() == null);
            revoke.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
            return revoke;
        });
        tokenGrid.setAllRowsVisible(true);
        refreshTokens();
        return new Div(new H3("API tokens"), new Paragraph("Call the REST API with Authorization: Bearer <token>."),
                new HorizontalLayout(name, scope, days, create), tokenGrid);
    }

    private void refreshTokens() {
        tokenGrid.setItems(tokens.mine());
    }

    private static void showOnce(ApiToken.Created t) {
        Dialog d = new Dialog();
        d.setId("token-created");
        d.setHeaderTitle("Token " + t.token().name());
        Pre value = new Pre(t.value());
        value.setId("token-value");
        d.add(new Paragraph("Copy it now: it is shown only once."), value);
        Button close = new Button("Done", e -> d.close());
        close.setId("token-created-close");
        d.getFooter().add(close);
        d.open();
    }

    private static void error(String message) {
        Notification n = Notification.show(message, 6000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }
}
