package io.atrium.web.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.image.Rollout;
import io.atrium.broker.image.RolloutService;
import io.atrium.broker.image.RolloutStatus;
import io.atrium.broker.image.VersionState;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * On a pool's page: the image version it pins, its rollout with every desktop's progress (old version, new version,
 * failed, told, kept), and publishing: a version at log off or forced (grace, batch size), rollback, cancel.
 * Everything through {@link RolloutService} ({@code ROLE_ADMIN}).
 */
class PoolImagePanel extends VerticalLayout {
    private final RolloutService rollouts;
    private final ImageLibraryService library;
    private final Span summary = new Span();
    private final Span personal = new Span();
    private final Span coldBoot = new Span();
    private final Div desktops = new Div();
    private final Select<ImageVersion> version = new Select<>();
    private final Select<Rollout.Mode> mode = new Select<>();
    private final IntegerField grace = new IntegerField("Grace (seconds)");
    private final IntegerField batch = new IntegerField("Batch size");
    private final Button publish = new Button("Publish");
    private final Button rollback = new Button("Roll back");
    private final Button cancel = new Button("Cancel rollout");
    private String poolId;
    private String shown = "";
    private String shownVersions = "";

    PoolImagePanel(RolloutService rollouts, ImageLibraryService library) {
        this.rollouts = rollouts;
        this.library = library;
        setId("pool-image");
        setPadding(false);
        summary.setId("pool-image-summary");
        personal.setId("pool-image-personal");
        personal.setText("Personal desktops keep their disks: a rollout never recreates them; only desktops made from "
                + "now on start the new version.");
        coldBoot.setId("pool-image-cold-boot");
        desktops.setId("pool-image-desktops");
        version.setLabel("Version");
        version.setId("pool-image-version");
        version.setItemLabelGenerator(v -> v.label() + " (" + v.state().name().toLowerCase(Locale.ROOT) + ")"
                + (v.coldBootOnly() ? ", cold boot only" : ""));
        mode.setLabel("When");
        mode.setId("pool-image-mode");
        mode.setItems(Rollout.Mode.values());
        mode.setItemLabelGenerator(m -> m == Rollout.Mode.AT_LOGOFF ? "at log off (idle desktops now)"
                : "forced (users are told, then logged off)");
        mode.setValue(Rollout.Mode.AT_LOGOFF);
        grace.setId("pool-image-grace");
        grace.setValue(300);
        batch.setId("pool-image-batch");
        batch.setValue(2);
        publish.setId("pool-image-publish");
        publish.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        publish.addClickListener(e -> act(() -> rollouts.publish(poolId, spec(version.getValue() == null ? null
                : version.getValue().id())), "published"));
        rollback.setId("pool-image-rollback");
        rollback.addClickListener(e -> act(() -> rollouts.rollback(poolId, spec(null)), "rolling back"));
        cancel.setId("pool-image-cancel");
        cancel.addThemeVariants(ButtonVariant.LUMO_ERROR);
        cancel.addClickListener(e -> act(() -> rollouts.cancel(poolId), "rollout cancelled"));
        HorizontalLayout form = new HorizontalLayout(version, mode, grace, batch, publish, rollback, cancel);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        form.getStyle().set("flex-wrap", "wrap");
        add(new H3("Image"), summary, coldBoot, personal, form, desktops);
    }

    void show(String poolId) {
        this.poolId = poolId;
        RolloutStatus s;
        List<ImageVersion> versions;
        try {
            s = rollouts.status(poolId);
            versions = library.image(s.imageName()).versions();
        } catch (BrokerException e) {
            setVisible(false);
            return;
        }
        setVisible(true);
        personal.setVisible(s.personal());
        coldBoot.setVisible(s.pinned().map(ImageVersion::coldBootOnly).orElse(false));
        coldBoot.setText("The pinned version has no QEMU guest agent: this pool's desktops are cold-booted "
                + "(no instant clones).");
        List<ImageVersion> publishable = versions.stream().filter(v -> v.kind() == ImageVersion.Kind.DISK
                && VersionState.PUBLISHABLE.contains(v.state())
                && !s.pinned().map(ImageVersion::id).orElse("").equals(v.id())).toList();
        String ids = publishable.stream().map(v -> v.id() + v.state()).collect(Collectors.joining(","));
        if (!ids.equals(shownVersions)) {
            shownVersions = ids;
            version.setItems(publishable);
            publishable.stream().findFirst().ifPresent(version::setValue);
        }
        boolean running = s.rollout().map(Rollout::running).orElse(false);
        rollback.setEnabled(s.rollbackTarget().isPresent());
        cancel.setVisible(running);
        String text = "Image " + s.imageName() + ": pins " + s.pinned().map(ImageVersion::label).orElse("nothing yet")
                + s.canary().map(c -> " · canary " + c.label() + " on " + s.canarySize()).orElse("")
                + s.rollout().map(r -> " · rollout to " + s.rolloutTarget().or(() -> versions.stream()
                        .filter(v -> v.id().equals(r.to())).findFirst()).map(ImageVersion::label).orElse(r.to())
                        + " (" + (r.mode() == Rollout.Mode.AT_LOGOFF ? "at log off" : "forced, grace "
                        + r.grace().toSeconds() + " s") + ", batches of " + r.batchSize() + "): "
                        + r.state().name().toLowerCase(Locale.ROOT)
                        + (r.running() ? ", " + s.done() + " of " + s.moving() + " desktops on it" : "")
                        + (r.message() == null ? "" : " — " + r.message())).orElse("");
        summary.setText(text);
        summary.getElement().setAttribute("data-rollout", s.rollout().map(r -> r.state().name()).orElse("NONE"));
        String signature = text + s.desktops();
        if (signature.equals(shown)) {
            return;
        }
        shown = signature;
        desktops.removeAll();
        for (RolloutStatus.DesktopProgress d : s.desktops()) {
            Span row = new Span(d.name() + ": " + d.versionLabel().orElse("no version yet") + " — "
                    + d.progress().name().toLowerCase(Locale.ROOT) + (d.user() == null ? "" : " (" + d.user() + ")")
                    + d.logoffAt().map(t -> ", logged off at " + t).orElse(""));
            row.addClassName("rollout-desktop");
            row.getElement().setAttribute("data-desktop", d.name());
            row.getElement().setAttribute("data-progress", d.progress().name());
            row.getElement().setAttribute("data-version", d.version().orElse(""));
            row.getStyle().set("display", "block");
            desktops.add(row);
        }
    }

    private RolloutService.PublishSpec spec(String versionId) {
        return new RolloutService.PublishSpec(versionId, mode.getValue() == null ? null : mode.getValue().name(),
                grace.getValue() == null ? null : grace.getValue().longValue(), batch.getValue());
    }

    private void act(Runnable call, String done) {
        try {
            call.run();
            Notification.show("Pool image: " + done).addThemeVariants(NotificationVariant.LUMO_SUCCESS);
            shown = "";
            show(poolId);
        } catch (InvalidInputException e) {
            PoolEditor.error(String.join("; ", e.fieldErrors().entrySet().stream()
                    .map(f -> f.getKey() + " " + f.getValue()).toList()));
        } catch (BrokerException e) {
            PoolEditor.error(e.getMessage());
        }
    }
}
