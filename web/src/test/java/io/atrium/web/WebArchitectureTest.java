package io.atrium.web;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.atrium.gateway.GatewayConnections;
import io.atrium.web.console.GatewayConsoleConnections;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.base.DescribedPredicate.and;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Viewer control goes through the broker: only {@link GatewayConsoleConnections}, where a broker reason becomes a
 * close code, may close viewers through the gateway; the UI and the REST API do not touch the gateway's registry.
 */
class WebArchitectureTest {

    private static final JavaClasses WEB = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.atrium.web");

    @Test
    void onlyTheConsoleConnectionsImplementationClosesViewers() {
        noClasses().that().doNotHaveFullyQualifiedName(GatewayConsoleConnections.class.getName())
                .should().callMethodWhere(target(and(owner(assignableTo(GatewayConnections.class)),
                        nameMatching("disconnect|disconnectAll"))))
                .because("the broker's SessionService decides why a viewer is closed, "
                        + "and GatewayConsoleConnections maps that to the close code in one place")
                .check(WEB);
    }

    @Test
    void theUiAndTheApiDoNotUseTheGatewayRegistry() {
        noClasses().that().resideInAnyPackage("io.atrium.web.ui..", "io.atrium.web.api..")
                .should().dependOnClassesThat().haveFullyQualifiedName(GatewayConnections.class.getName())
                .because("they call broker services, which the broker authorizes and which decide close codes")
                .check(WEB);
    }
}
