package io.atrium.web.ui.admin;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.di.Instantiator;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.image.RolloutService;
import io.atrium.broker.image.RolloutStatus;
import io.atrium.broker.image.VersionState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;

import java.util.List;

/**
 * The pool editor's image section: the version the pool pins (what its desktops start; a new pool pins its image's
 * newest ready version), a canary version on N desktops, and what the pool's kind means for new versions (personal
 * desktops keep their disks). Publishing a new version is on the pool's page. Through {@link RolloutService}.
 */
class PoolImageSection extends VerticalLayout {

    PoolImageSection(Pool existing) {
        setId("pool-image-section");
        setPadding(false);
        setSpacing(false);
        if (existing == null) {
            add(new Span("The pool pins its image's newest ready version; publish later versions from the pool's page "
                    + "(at log off, or forced)."));
            return;
        }
        Instantiator beans = Instantiator.get(UI.getCurrent());
        RolloutService rollouts = beans.getOrCreate(RolloutService.class);
        ImageLibraryService library = beans.getOrCreate(ImageLibraryService.class);
        RolloutStatus s;
        List<ImageVersion> versions;
        try {
            s = rollouts.status(existing.id());
            versions = library.image(s.imageName()).versions();
        } catch (BrokerException e) {
            add(new Span(e.getMessage()));
            return;
        }
        Span pinned = new Span("Image version: " + s.pinned().map(v -> v.label() + (v.coldBootOnly()
                ? " (no guest agent: desktops are cold-booted)" : "")).orElse("none yet"));
        pinned.setId("pool-image-pinned");
        add(pinned);
        if (existing.kind() == PoolKind.PERSONAL) {
            add(new Span("Personal desktops keep their disks: a new version never recreates them."));
        }
        Select<ImageVersion> canary = new Select<>();
        canary.setLabel("Canary version");
        canary.setId("pool-canary-version");
        canary.setEmptySelectionAllowed(true);
        canary.setEmptySelectionCaption("none");
        canary.setItems(versions.stream().filter(v -> v.kind() == ImageVersion.Kind.DISK
                && VersionState.PUBLISHABLE.contains(v.state())
                && !s.pinned().map(ImageVersion::id).orElse("").equals(v.id())).toList());
        canary.setItemLabelGenerator(ImageVersion::label);
        s.canary().ifPresent(canary::setValue);
        IntegerField size = new IntegerField("on desktops");
        size.setId("pool-canary-size");
        size.setValue(Math.max(1, s.canarySize()));
        Button apply = new Button("Set canary", e -> {
            size.setInvalid(false);
            try {
                rollouts.setCanary(existing.id(), canary.getValue() == null ? null : canary.getValue().id(),
                        size.getValue());
                Notification.show(canary.getValue() == null ? "Canary removed" : "Canary set");
            } catch (InvalidInputException ex) {
                size.setErrorMessage(String.join("; ", ex.fieldErrors().values()));
                size.setInvalid(true);
            } catch (BrokerException ex) {
                PoolEditor.error(ex.getMessage());
            }
        });
        apply.setId("pool-canary-apply");
        HorizontalLayout row = new HorizontalLayout(canary, size, apply);
        row.setAlignItems(FlexComponent.Alignment.BASELINE);
        add(row);
    }
}
