package io.atrium.web.ui;

import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.login.LoginForm;
import com.vaadin.flow.component.login.LoginI18n;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.auth.AnonymousAllowed;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

import java.util.List;
import java.util.Map;

/**
 * The login page: the form (Spring Security processes the POST to /login; local accounts and the directory) and one
 * "Sign in with …" link per OpenID Connect client registration. Says why a login was refused: wrong credentials,
 * too many attempts (with the wait), a disabled account, a failed single sign-on.
 */
@Route("login")
@PageTitle("Log in · Atrium")
@AnonymousAllowed
public class LoginView extends VerticalLayout implements BeforeEnterObserver {
    private final LoginForm login = new LoginForm();

    public LoginView(ObjectProvider<ClientRegistrationRepository> sso) {
        setSizeFull();
        setAlignItems(FlexComponent.Alignment.CENTER);
        setJustifyContentMode(FlexComponent.JustifyContentMode.CENTER);
        login.setAction("login");
        login.setForgotPasswordButtonVisible(false);
        add(new H1("Atrium"), new Paragraph("Your desktops, in the browser."), login);
        List<ClientRegistration> registrations = registrations(sso.getIfAvailable());
        if (!registrations.isEmpty()) {
            Div links = new Div();
            links.setId("sso-logins");
            for (ClientRegistration r : registrations) {
                Anchor a = new Anchor("oauth2/authorization/" + r.getRegistrationId(), "Sign in with " + r.getClientName());
                a.getElement().setAttribute("router-ignore", true);
                a.addClassName("sso-login");
                a.getElement().setAttribute("data-registration", r.getRegistrationId());
                a.getStyle().set("display", "block").set("text-align", "center").set("margin", "var(--lumo-space-s)");
                links.add(a);
            }
            add(links);
        }
    }

    private static List<ClientRegistration> registrations(ClientRegistrationRepository repo) {
        if (repo instanceof Iterable<?> it) {
            List<ClientRegistration> out = new java.util.ArrayList<>();
            it.forEach(r -> out.add((ClientRegistration) r));
            return out;
        }
        return List.of();
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        Map<String, List<String>> q = event.getLocation().getQueryParameters().getParameters();
        LoginI18n i18n = LoginI18n.createDefault();
        if (q.containsKey("locked")) {
            String s = q.get("locked").getFirst().replaceAll("[^0-9]", "");
            i18n.getErrorMessage().setTitle("Too many failed attempts");
            i18n.getErrorMessage().setMessage("Logins from here are paused. Try again in " + (s.isEmpty() ? "a few" : s)
                    + " seconds.");
        } else if (q.containsKey("disabled")) {
            i18n.getErrorMessage().setTitle("Account disabled");
            i18n.getErrorMessage().setMessage("This account is disabled. Ask your administrator.");
        } else if (q.containsKey("error") && "sso".equals(q.get("error").getFirst())) {
            i18n.getErrorMessage().setTitle("Single sign-on failed");
            i18n.getErrorMessage().setMessage("The sign-in provider did not let you in, or your account is disabled.");
        }
        login.setI18n(i18n);
        login.setError(q.containsKey("error") || q.containsKey("locked") || q.containsKey("disabled"));
    }
}
