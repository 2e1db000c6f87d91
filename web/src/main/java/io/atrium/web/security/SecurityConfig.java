package io.atrium.web.security;

import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;
import io.atrium.web.WebProperties;
import io.atrium.web.ui.LoginView;
import jakarta.servlet.DispatcherType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

import java.util.ArrayList;
import java.util.List;

/**
 * Form login with the users from {@code atrium.web.users}. The console WebSocket path is
 * permitted here because its authorization is the console ticket, checked by the gateway;
 * ERROR dispatches are permitted so a refused upgrade is not turned into a redirect to /login.
 */
@Configuration
@EnableWebSecurity
@EnableMethodSecurity
public class SecurityConfig {

    /**
     * The REST API ({@code /api/**}): HTTP Basic with the same users, stateless (no session
     * cookie is read, so no CSRF exposure), every call authenticated; services authorize.
     */
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
