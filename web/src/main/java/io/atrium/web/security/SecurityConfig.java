package io.atrium.web.security;

import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.TokenService;
import io.atrium.broker.session.SessionService;
import io.atrium.web.ui.LoginView;
import jakarta.servlet.DispatcherType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;

import java.time.Clock;
import java.util.Optional;

/**
 * Web security, in three parts so each filter chain can be tested on its own (the REST slice tests load
 * {@link Accounts} and {@link ApiChain} without Vaadin):
 * <ul>
 *   <li>{@link Accounts}: who someone is — local accounts and LDAP through {@link AtriumAuthenticationProvider}, API
 *       tokens through {@link ApiTokenAuthentication}; method security (services authorize with
 *       {@code @PreAuthorize});</li>
 *   <li>{@link ApiChain} (order 1, {@code /api/**}): bearer tokens and HTTP Basic (both behind the brute-force
 *       guard: 429 with Retry-After), stateless, no CSRF, {@code /api/openapi.json} public;</li>
 *   <li>{@link UiChain} (order 2, everything else): form login ({@code LoginView}) through Vaadin's configurer, with
 *       the steps of {@link LoginFlow} (second factor, new password), OpenID Connect when a client is registered,
 *       viewers closed at logout, sessions of disabled accounts ended. The console WebSocket path is permitted (its
 *       authorization is the console ticket, checked by the gateway; a bearer token there names the user the ticket
 *       must belong to); ERROR dispatches are permitted so a refused upgrade is not turned into a redirect.</li>
 * </ul>
 */
public final class SecurityConfig {
    private SecurityConfig() {
    }

    /** Authentication and method security, shared by both chains. */
    @Configuration(proxyBeanMethods = false)
    @EnableWebSecurity
    @EnableMethodSecurity
    @EnableConfigurationProperties(SecurityProperties.class)
    public static class Accounts {
        @Bean
        AtriumAuthenticationProvider atriumAuthenticationProvider(IdentityService identity, SecurityProperties props) {
            return new AtriumAuthenticationProvider(identity,
                    props.ldap().enabled() ? Optional.of(new LdapDirectory(props.ldap(), identity)) : Optional.empty());
        }

        @Bean
        ApiAuthenticationEntryPoint apiAuthenticationEntryPoint() {
            return new ApiAuthenticationEntryPoint();
        }

        /** The bearer token filter: checks a token when the request has one, else leaves the request alone. */
        static AuthenticationFilter tokenFilter(TokenService tokens, IdentityService identity,
                                                ApiAuthenticationEntryPoint failures) {
            AuthenticationFilter filter = new AuthenticationFilter(
                    new ProviderManager(new ApiTokenAuthentication.Provider(tokens, identity)),
                    ApiTokenAuthentication.CONVERTER);
            filter.setSuccessHandler(new org.springframework.security.web.authentication.AuthenticationSuccessHandler() {
                @Override
                public void onAuthenticationSuccess(jakarta.servlet.http.HttpServletRequest request,
                                                    jakarta.servlet.http.HttpServletResponse response,
                                                    jakarta.servlet.FilterChain chain, org.springframework.security.core.Authentication a)
                        throws java.io.IOException, jakarta.servlet.ServletException {
                    chain.doFilter(request, response); // authenticated: go on with the request
                }

                @Override
                public void onAuthenticationSuccess(jakarta.servlet.http.HttpServletRequest request,
                                                    jakarta.servlet.http.HttpServletResponse response,
                                                    org.springframework.security.core.Authentication a) {
                    // not used: the four-argument variant continues the chain
                }
            });
            filter.setFailureHandler(failures);
            filter.setSecurityContextRepository(new RequestAttributeSecurityContextRepository());
            // The strategy in force when the request runs (Vaadin installs its own at start-up, after this filter
            // may have been made): the servlet request's user principal must see this authentication.
            filter.setSecurityContextHolderStrategy(CURRENT_STRATEGY);
            return filter;
        }

        /** Always the global {@link SecurityContextHolder} strategy of the moment. */
        static final SecurityContextHolderStrategy CURRENT_STRATEGY = new SecurityContextHolderStrategy() {
            @Override
            public void clearContext() {
                SecurityContextHolder.getContextHolderStrategy().clearContext();
            }

            @Override
            public SecurityContext getContext() {
                return SecurityContextHolder.getContextHolderStrategy().getContext();
            }

            @Override
            public java.util.function.Supplier<SecurityContext> getDeferredContext() {
                return SecurityContextHolder.getContextHolderStrategy().getDeferredContext();
            }

            @Override
            public void setContext(SecurityContext context) {
                SecurityContextHolder.getContextHolderStrategy().setContext(context);
            }

            @Override
            public void setDeferredContext(java.util.function.Supplier<SecurityContext> deferredContext) {
                SecurityContextHolder.getContextHolderStrategy().setDeferredContext(deferredContext);
            }

            @Override
            public SecurityContext createEmptyContext() {
                return SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
            }
        };
    }

    /**
     * The REST API ({@code /api/**}): a bearer token or HTTP Basic on every request, stateless (no session is created
     * or read, so no CSRF exposure); services authorize.
     */
    @Configuration(proxyBeanMethods = false)
    public static class ApiChain {
        @Bean
        @Order(1)
        SecurityFilterChain apiFilterChain(HttpSecurity http, TokenService tokens, IdentityService identity,
                                           ApiAuthenticationEntryPoint entryPoint) throws Exception {
            http.securityMatcher("/api/**")
                    .authorizeHttpRequests(auth -> auth
                            .requestMatchers("/api/openapi.json").permitAll()
                            .anyRequest().authenticated())
                    .addFilterBefore(Accounts.tokenFilter(tokens, identity, entryPoint), BasicAuthenticationFilter.class)
                    .httpBasic(b -> b.authenticationEntryPoint(entryPoint))
                    .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint))
                    .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                    .securityContext(c -> c.securityContextRepository(new RequestAttributeSecurityContextRepository()))
                    .csrf(AbstractHttpConfigurer::disable);
            return http.build();
        }
    }

    /** The UI and everything else: Vaadin's form login, the login steps, OIDC; {@code /gateway/**} permitted. */
    @Configuration(proxyBeanMethods = false)
    public static class UiChain {
        @Bean
        LoginFlow loginFlow(IdentityService identity, SessionService sessions, AuditLog audit, Clock clock) {
            return new LoginFlow(identity, sessions, audit, clock);
        }

        @Bean
        @Order(2)
        SecurityFilterChain securityFilterChain(HttpSecurity http, LoginFlow flow, TokenService tokens,
                                                IdentityService identity, ApiAuthenticationEntryPoint entryPoint,
                                                SecurityProperties props,
                                                ObjectProvider<ClientRegistrationRepository> sso) throws Exception {
            AuthenticationFilter gatewayTokens = Accounts.tokenFilter(tokens, identity, entryPoint);
            gatewayTokens.setRequestMatcher(PathPatternRequestMatcher.withDefaults().matcher("/gateway/**"));
            http.addFilterBefore(gatewayTokens, BasicAuthenticationFilter.class);
            http.addFilterAfter(flow.activeAccountFilter(), BasicAuthenticationFilter.class);
            http.authorizeHttpRequests(auth -> auth
                    .requestMatchers("/gateway/**").permitAll()
                    .requestMatchers("/actuator/health").permitAll()
                    .requestMatchers(LoginFlow.CONTINUE_PATH).permitAll()
                    .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll());
            http.with(VaadinSecurityConfigurer.vaadin(), vaadin -> vaadin.loginView(LoginView.class)
                    .addLogoutHandler(flow.logoutHandler()));
            // Applied after Vaadin's configurer (init runs in the order added), so these handlers are the ones used.
            boolean oidc = sso.getIfAvailable() != null;
            http.with(new LoginSteps(flow, oidc ? new OidcAccounts(identity, props.oidc()) : null), c -> { });
            return http.build();
        }

        /** The login flow's handlers on the form login and, when configured, the OIDC login. */
        static final class LoginSteps extends AbstractHttpConfigurer<LoginSteps, HttpSecurity> {
            private final LoginFlow flow;
            private final OidcAccounts oidc;

            LoginSteps(LoginFlow flow, OidcAccounts oidc) {
                this.flow = flow;
                this.oidc = oidc;
            }

            @Override
            public void init(HttpSecurity h) {
                RequestCache cache = h.getSharedObject(RequestCache.class);
                h.formLogin(f -> f.successHandler(flow.success(cache)).failureHandler(flow.failure()));
                if (oidc != null) {
                    h.oauth2Login(o -> o.loginPage("/login")
                            .userInfoEndpoint(u -> u.oidcUserService(oidc))
                            .successHandler(flow.success(cache))
                            .failureHandler(flow.failure()));
                }
            }
        }
    }
}
