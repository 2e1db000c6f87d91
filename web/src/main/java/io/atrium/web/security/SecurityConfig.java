package io.atrium.web.security;

import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;
import io.atrium.web.WebProperties;
import io.atrium.web.ui.LoginView;
import jakarta.servlet.DispatcherType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;

import java.util.ArrayList;
import java.util.List;

/**
 * Web security, in three parts so each filter chain can be tested on its own (the REST slice tests load
 * {@link Accounts} and {@link ApiChain} without Vaadin):
 * <ul>
 *   <li>{@link Accounts}: the users from {@code atrium.web.users} (bcrypt-encoded passwords only), method security
 *       (services authorize with {@code @PreAuthorize});</li>
 *   <li>{@link ApiChain} (order 1, {@code /api/**}): HTTP Basic, stateless, no CSRF, {@code /api/openapi.json}
 *       public;</li>
 *   <li>{@link UiChain} (order 2, everything else): form login ({@code LoginView}) through Vaadin's configurer. The
 *       console WebSocket path is permitted because its authorization is the console ticket, checked by the
 *       gateway; ERROR dispatches are permitted so a refused upgrade is not turned into a redirect to /login.</li>
 * </ul>
 */
public final class SecurityConfig {
    private SecurityConfig() {
    }

    /** Users and method security, shared by both chains. */
    @Configuration(proxyBeanMethods = false)
    @EnableWebSecurity
    @EnableMethodSecurity
    public static class Accounts {
        @Bean
        PasswordEncoder passwordEncoder() {
            return PasswordEncoderFactories.createDelegatingPasswordEncoder();
        }

        @Bean
        UserDetailsService userDetailsService(WebProperties props) {
            List<UserDetails> users = new ArrayList<>();
            for (WebProperties.User u : props.users()) {
                if (!u.password().startsWith("{") || u.password().startsWith("{noop}")) {
                    throw new IllegalStateException("atrium.web.users: the password of " + u.username()
                            + " must be stored encoded, e.g. {bcrypt}$2a$10$...");
                }
                List<SimpleGrantedAuthority> authorities = new ArrayList<>();
                u.roles().forEach(r -> authorities.add(new SimpleGrantedAuthority("ROLE_" + r)));
                u.groups().forEach(g -> authorities.add(new SimpleGrantedAuthority("GROUP_" + g)));
                users.add(User.withUsername(u.username()).password(u.password()).authorities(authorities).build());
            }
            return new InMemoryUserDetailsManager(users);
        }
    }

    /**
     * The REST API ({@code /api/**}): HTTP Basic with the same users, stateless (no session is created or read, so
     * no CSRF exposure), every call authenticated except the OpenAPI document; services authorize.
     */
    @Configuration(proxyBeanMethods = false)
    public static class ApiChain {
        @Bean
        @Order(1)
        SecurityFilterChain apiFilterChain(HttpSecurity http) throws Exception {
            http.securityMatcher("/api/**")
                    .authorizeHttpRequests(auth -> auth
                            .requestMatchers("/api/openapi.json").permitAll()
                            .anyRequest().authenticated())
                    .httpBasic(Customizer.withDefaults())
                    .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                    .securityContext(c -> c.securityContextRepository(new RequestAttributeSecurityContextRepository()))
                    .csrf(AbstractHttpConfigurer::disable);
            return http.build();
        }
    }

    /** The UI and everything else: Vaadin's form login; {@code /gateway/**} and error dispatches permitted. */
    @Configuration(proxyBeanMethods = false)
    public static class UiChain {
        @Bean
        @Order(2)
        SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
            http.authorizeHttpRequests(auth -> auth
                    .requestMatchers("/gateway/**").permitAll()
                    .requestMatchers("/actuator/health").permitAll()
                    .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll());
            http.with(VaadinSecurityConfigurer.vaadin(), vaadin -> vaadin.loginView(LoginView.class));
            return http.build();
        }
    }
}
