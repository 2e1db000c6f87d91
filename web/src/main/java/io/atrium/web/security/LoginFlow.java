package io.atrium.web.security;

import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import io.atrium.broker.session.SessionService;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;
import org.springframework.security.web.authentication.AuthenticationSuccessHandler;
import org.springframework.security.web.authentication.SavedRequestAwareAuthenticationSuccessHandler;
import org.springframework.security.web.authentication.logout.LogoutHandler;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The interactive login around Spring Security's form and OIDC logins:
 * <ul>
 *   <li>{@link #success}: after a right password, a login with steps left (TOTP code, new password, authenticator
 *       enrolment) is parked as a {@link PendingLogin} in the session, the user stays unauthenticated and is sent to
 *       {@code /login/continue}; otherwise the login is recorded and the saved request resumed;</li>
 *   <li>{@link #failure}: back to the login page saying why ({@code ?error}, {@code ?locked=<seconds>},
 *       {@code ?disabled});</li>
 *   <li>{@link #complete}: the last step done, the user is logged in (factors as {@code FactorGrantedAuthority});</li>
 *   <li>{@link #logoutHandler}: logging out of Atrium closes the user's viewers;</li>
 *   <li>{@link #activeAccountFilter}: a session of an account that was disabled or deleted ends at its next request.</li>
 * </ul>
 */
public final class LoginFlow {
    public static final String CONTINUE_PATH = "/login/continue";

    private final IdentityService identity;
    private final SessionService sessions;
    private final AuditLog audit;
    private final Clock clock;
    private final SecurityContextRepository contexts = new HttpSessionSecurityContextRepository();

    public LoginFlow(IdentityService identity, SessionService sessions, AuditLog audit, Clock clock) {
        this.identity = identity;
        this.sessions = sessions;
        this.audit = audit;
        this.clock = clock;
    }

    AuthenticationSuccessHandler success(RequestCache requestCache) {
        SavedRequestAwareAuthenticationSuccessHandler resume = new SavedRequestAwareAuthenticationSuccessHandler();
        if (requestCache != null) {
            resume.setRequestCache(requestCache);
        }
        return (request, response, authentication) -> {
            String client = ClientAddress.of(request);
            if (authentication instanceof OAuth2AuthenticationToken oidc) {
                identity.find(oidc.getName()).ifPresent(a -> identity.succeeded(a, client, "oidc"));
                resume.onAuthenticationSuccess(request, response, authentication);
                return;
            }
            Account account = authentication.getDetails() instanceof Account a ? a
                    : identity.find(authentication.getName()).orElseThrow();
            List<PendingLogin.Step> steps = new ArrayList<>();
            if (account.source() == AccountSource.LOCAL) {
                if (account.mfaEnabled()) {
                    steps.add(PendingLogin.Step.TOTP);
                }
                if (account.mustChangePassword()) {
                    steps.add(PendingLogin.Step.CHANGE_PASSWORD);
                }
                if (identity.mustEnrolSecondFactor(account)) {
                    steps.add(PendingLogin.Step.ENROL_TOTP);
                }
            }
            if (steps.isEmpty()) {
                identity.succeeded(account, client, "form");
                resume.onAuthenticationSuccess(request, response, authentication);
                return;
            }
            // Not logged in yet: drop the context the form login just saved, park the login in the session.
            SecurityContextHolder.clearContext();
            contexts.saveContext(SecurityContextHolder.createEmptyContext(), request, response);
            request.getSession().setAttribute(PendingLogin.SESSION_ATTRIBUTE,
                    new PendingLogin(account.username(), client, clock.instant(), steps));
            response.sendRedirect(request.getContextPath() + CONTINUE_PATH);
        };
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoginFlow.class);

    AuthenticationFailureHandler failure() {
        return (request, response, e) -> {
            // the reason, never the credentials (Spring Security's messages do not carry them)
            log.info("login refused from {}: {}", ClientAddress.of(request), e.getMessage());
            String query = "error";
            if (e instanceof RefusedLoginException r) {
                query = switch (r.reason()) {
                    case THROTTLED -> "locked=" + r.retryAfterSeconds();
                    case DISABLED -> "disabled";
                    default -> "error";
                };
            } else if (e instanceof OAuth2AuthenticationException) {
                query = "error=sso";
            }
            response.sendRedirect(request.getContextPath() + "/login?" + query);
        };
    }

    /** The pending login of this session, if it is still valid. */
    public PendingLogin pending(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session == null || !(session.getAttribute(PendingLogin.SESSION_ATTRIBUTE) instanceof PendingLogin p)) {
            return null;
        }
        if (p.expiredAt(clock.instant())) {
            session.removeAttribute(PendingLogin.SESSION_ATTRIBUTE);
            return null;
        }
        return p;
    }

    /**
     * Logs the pending login's user in (every step done): the authentication carries FACTOR_PASSWORD and, if a code
     * was checked, FACTOR_TOTP; saved in the session; the login recorded.
     *
     * @throws LoginRefusedException if the account was disabled meanwhile
     */
    public Authentication complete(PendingLogin p, HttpServletRequest request, HttpServletResponse response) {
        if (!p.done()) {
            throw new IllegalStateException("login steps left: " + p.current());
        }
        Account account = identity.find(p.username()).filter(Account::enabled)
                .orElseThrow(() -> new LoginRefusedException(LoginRefusedException.Reason.DISABLED,
                        "This account is disabled.", null));
        List<String> factors = new ArrayList<>(List.of(FactorGrantedAuthority.PASSWORD_AUTHORITY));
        if (p.totpProven()) {
            factors.add(AtriumAuthorities.TOTP_FACTOR);
        }
        var auth = UsernamePasswordAuthenticationToken.authenticated(account.username(), null,
                AtriumAuthorities.of(account, factors));
        SecurityContext ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        contexts.saveContext(ctx, request, response);
        request.getSession().removeAttribute(PendingLogin.SESSION_ATTRIBUTE);
        identity.succeeded(account, p.client(), p.totpProven() ? "form+totp" : "form");
        return auth;
    }

    /** Logging out of Atrium closes the user's viewers (their desktops stay theirs). */
    LogoutHandler logoutHandler() {
        return (request, response, authentication) -> {
            if (authentication != null && authentication.getName() != null) {
                int closed = sessions.closeViewersOf(authentication.getName());
                audit.recordAs(authentication.getName(), ClientAddress.of(request), "logout", AuditEvent.Outcome.SUCCESS,
                        "user", authentication.getName(), Map.of("viewersClosed", closed));
            }
        };
    }

    /** Ends the session of an account that was disabled or deleted, at its next request. */
    OncePerRequestFilter activeAccountFilter() {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                Authentication auth = SecurityContextHolder.getContext().getAuthentication();
                if (auth != null && auth.isAuthenticated() && !(auth instanceof ApiTokenAuthentication)
                        && !(auth instanceof org.springframework.security.authentication.AnonymousAuthenticationToken)
                        && !identity.isEnabled(auth.getName()).orElse(false)) {
                    SecurityContextHolder.clearContext();
                    HttpSession session = request.getSession(false);
                    if (session != null) {
                        session.invalidate();
                    }
                    if ("GET".equals(request.getMethod()) && request.getParameter("v-r") == null) {
                        response.sendRedirect(request.getContextPath() + "/login?disabled");
                    } else {
                        response.sendError(401);
                    }
                    return;
                }
                chain.doFilter(request, response);
            }
        };
    }
}
