package io.atrium.web.api;

import io.atrium.web.security.IdentitySlice;
import io.atrium.web.security.SecurityConfig;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors;
import org.springframework.test.util.AopTestUtils;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What the REST controller slices share: the real API filter chain (tokens and HTTP Basic against the broker's
 * accounts, with the demo accounts, on an in-memory database; stateless) and method security, so a plain user's 403 and an anonymous caller's 401 come from the real
 * configuration.
 *
 * <p>The services are Mockito mocks declared as ordinary {@code @Bean}s rather than {@code @MockitoBean}s: Spring
 * deliberately does not proxy {@code @MockitoBean} mocks, so their classes' {@code @PreAuthorize} would not apply;
 * a mock declared as a bean is wrapped in the method-security proxy like the real service. Stub and verify through
 * {@link #mockOf}, which unwraps the proxy (calls through the proxy are authorized as the test's caller).
 */
final class ApiSlice {
    private ApiSlice() {
    }

    /** Imports the accounts and the API chain of {@link SecurityConfig}, without Vaadin's UI chain. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Import({SecurityConfig.Accounts.class, SecurityConfig.ApiChain.class, IdentitySlice.class})
    @ImportAutoConfiguration(AopAutoConfiguration.class) // class-based proxies, as in the application
    @org.springframework.test.context.TestPropertySource(properties = {
            "spring.datasource.url=jdbc:h2:mem:slice-${random.uuid};DB_CLOSE_DELAY=-1",
            "atrium.broker.identity.demo-users=true",
            "atrium.broker.data-dir=target/slice-data"})
    @interface ApiSecurity {
    }

    /** The Mockito mock behind a method-security proxy. */
    static <T> T mockOf(T service) {
        return AopTestUtils.getUltimateTargetObject(service);
    }

    /** HTTP Basic as one of the demo accounts (password = user name). */
    static RequestPostProcessor as(String user) {
        return SecurityMockMvcRequestPostProcessors.httpBasic(user, user);
    }
}
