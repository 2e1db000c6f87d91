package io.atrium.web.ui;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Image;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.VaadinServletRequest;
import com.vaadin.flow.server.VaadinServletResponse;
import com.vaadin.flow.server.auth.AnonymousAllowed;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.identity.AccountService;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import io.atrium.broker.identity.MfaService;
import io.atrium.web.security.LoginFlow;
import io.atrium.web.security.PendingLogin;

import java.util.List;

/**
 * The steps of a login after a right password ({@link PendingLogin}): the TOTP code (or a recovery code), a new
 * password instead of a one-time one, the enrolment of an authenticator (QR code, then the recovery codes, shown
 * once). The user is not logged in until the last step; then {@link LoginFlow#complete} logs them in and the page
 * goes to My desktops. Without a pending login (none, expired) it goes back to the login page.
 */
@Route("login/continue")
@PageTitle("Log in · Atrium")
@AnonymousAllowed
public class LoginStepView extends VerticalLayout implements BeforeEnterObserver {
    private final LoginFlow flow;
    private final IdentityService identity;
    private final AccountService accounts;
    private final MfaService mfa;
    private final Div step = new Div();
    private PendingLogin pending;

    public LoginStepView(LoginFlow flow, IdentityService identity, AccountService accounts, MfaService mfa) {
        this.flow = flow;
        this.identity = identity;
        this.accounts = accounts;
        this.mfa = mfa;
        setSizeFull();
        setAlignItems(FlexComponent.Alignment.CENTER);
        step.setId("login-step");
        step.setMaxWidth("28rem");
        add(new H1("Atrium"), step);
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        pending = flow.pending(VaadinServletRequest.getCurrent().getHttpServletRequest());
        if (pending == null) {
            event.forwardTo(LoginView.class);
            return;
        }
        show();
    }

    private void show() {
        step.removeAll();
        if (pending.done()) {
            try {
                flow.complete(pending, VaadinServletRequest.getCurrent().getHttpServletRequest(),
                        VaadinServletResponse.getCurrent().getHttpServletResponse());
                getUI().ifPresent(ui -> ui.getPage().setLocation("./"));
            } catch (LoginRefusedException e) {
                step.add(new Paragraph(e.getMessage()));
            }
            return;
        }
        switch (pending.current()) {
            case TOTP -> totp();
            case CHANGE_PASSWORD -> changePassword();
            case ENROL_TOTP -> enrol();
        }
    }

    private void totp() {
        TextField code = new TextField("Code from your authenticator app (or a recovery code)");
        code.setId("totp-code");
        code.setWidthFull();
        code.setAutofocus(true);
        code.getElement().setAttribute("autocomplete", "one-time-code");
        Button verify = new Button("Verify", e -> {
            try {
                identity.verifySecondFactor(pending.username(), code.getValue(), pending.client());
                pending.completed(PendingLogin.Step.TOTP);
                show();
            } catch (LoginRefusedException ex) {
                code.setInvalid(true);
                code.setErrorMessage(ex.getMessage());
            }
        });
        verify.setId("totp-verify");
        verify.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        verify.addClickShortcut(com.vaadin.flow.component.Key.ENTER);
        step.add(new Paragraph("Two-step verification for " + pending.username() + "."), code, verify);
    }

    private void changePassword() {
        PasswordField current = new PasswordField("Current (one-time) password");
        current.setId("current-password");
        PasswordField next = new PasswordField("New password");
        next.setId("new-password");
        PasswordField again = new PasswordField("New password again");
        again.setId("new-password-again");
        for (PasswordField f : List.of(current, next, again)) {
            f.setWidthFull();
        }
        Button save = new Button("Set password", e -> {
            if (!next.getValue().equals(again.getValue())) {
                again.setInvalid(true);
                again.setErrorMessage("does not match");
                return;
            }
            try {
                accounts.changePasswordFor(pending.username(), current.getValue(), next.getValue());
                pending.completed(PendingLogin.Step.CHANGE_PASSWORD);
                show();
            } catch (InvalidInputException ex) {
                current.setInvalid(ex.fieldErrors().containsKey("current"));
                current.setErrorMessage(ex.fieldErrors().get("current"));
                next.setInvalid(ex.fieldErrors().containsKey("password"));
                next.setErrorMessage(ex.fieldErrors().get("password"));
            }
        });
        save.setId("change-password");
        save.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        step.add(new Paragraph("Your password was set by an administrator. Choose your own before you continue."),
                current, next, again, save);
    }

    private void enrol() {
        MfaService.Enrolment e;
        try {
            e = mfa.beginFor(pending.username());
        } catch (BrokerException ex) {
            step.add(new Paragraph(ex.getMessage()));
            return;
        }
        step.add(new Paragraph("Administrators must use two-step verification. Scan this code with an authenticator "
                + "app (or type the key), then enter the code it shows."));
        step.add(enrolmentPanel(e, codes -> {
            pending.completed(PendingLogin.Step.ENROL_TOTP);
            show();
        }, code -> mfa.confirmFor(pending.username(), code)));
    }

    /**
     * The QR code, the key, a code field; after a right code the recovery codes (shown once) and a Continue button.
     * Shared with the account page.
     */
    public static Div enrolmentPanel(MfaService.Enrolment e, java.util.function.Consumer<List<String>> done,
                                     java.util.function.Function<String, List<String>> confirm) {
        Div panel = new Div();
        panel.setId("totp-enrolment");
        Image qr = new Image(QrCodes.pngDataUri(e.otpauthUri(), 220), "QR code for your authenticator app");
        qr.setId("totp-qr");
        Paragraph key = new Paragraph(e.secretBase32());
        key.setId("totp-secret");
        key.getStyle().set("font-family", "monospace").set("word-break", "break-all");
        TextField code = new TextField("Code from the app");
        code.setId("enrol-code");
        Button confirmButton = new Button("Confirm", ev -> {
            try {
                List<String> recovery = confirm.apply(code.getValue());
                panel.removeAll();
                Pre list = new Pre(String.join("\n", recovery));
                list.setId("recovery-codes");
                Button next = new Button("I saved them, continue", x -> done.accept(recovery));
                next.setId("recovery-continue");
                next.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
                panel.add(new Paragraph("Recovery codes: each lets you in once without your phone. They are shown "
                        + "only now; keep them somewhere safe."), list, next);
            } catch (InvalidInputException ex) {
                code.setInvalid(true);
                code.setErrorMessage(ex.fieldErrors().getOrDefault("code", ex.getMessage()));
            }
        });
        confirmButton.setId("enrol-confirm");
        confirmButton.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        panel.add(qr, key, code, confirmButton);
        return panel;
    }
}
