package io.atrium.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.util.List;

/**
 * Web settings ({@code atrium.web.*}).
 *
 * @param users the configured users; passwords must be encoded ({@code {bcrypt}...})
 */
@Validated
@ConfigurationProperties("atrium.web")
public record WebProperties(
        @NotNull @DefaultValue List<@Valid User> users) {

    /**
     * A user from configuration.
     *
     * @param password an encoded password such as {@code {bcrypt}$2a$...}; plain text is refused
     */
    public record User(@NotBlank String username, @NotBlank String password,
                       @NotEmpty List<String> roles, @NotNull @DefaultValue List<String> groups) {
        @Override
        public String toString() {
            return "User[" + username + ", roles=" + roles + ", groups=" + groups + "]";
        }
    }
}
