package io.atrium.web.ui;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.shared.Registration;
import io.atrium.broker.BrokerException;
import io.atrium.broker.image.RolloutService;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * On the desktop page: the message a forced rollout gives its user (a new version of the desktop is coming; save your
 * work; logged off at a given time). Asked of {@link RolloutService#logoffNotice} at every poll of the page.
 */
class RolloutNotice extends Div {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private final RolloutService rollouts;
    private final String desktopId;
    private Registration poll;

    RolloutNotice(RolloutService rollouts, String desktopId) {
        this.rollouts = rollouts;
        this.desktopId = desktopId;
        setId("rollout-notice");
        getStyle().set("background", "var(--lumo-warning-color-10pct, #fff3cd)").set("padding", "var(--lumo-space-s)")
                .set("width", "100%").set("box-sizing", "border-box");
        setVisible(false);
    }

    @Override
    protected void onAttach(AttachEvent event) {
        show();
        event.getUI().setPollInterval(3000);
        poll = event.getUI().addPollListener(e -> show());
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (poll != null) {
            poll.remove();
        }
    }

    private void show() {
        Optional<Instant> at;
        try {
            at = rollouts.logoffNotice(desktopId);
        } catch (BrokerException e) {
            at = Optional.empty();
        }
        setVisible(at.isPresent());
        at.ifPresent(t -> {
            long left = Math.max(0, Duration.between(Instant.now(), t).toSeconds());
            setText("Your administrator is updating this desktop to a new version. Save your work: you will be "
                    + "logged off at " + TIME.format(t) + " (in " + (left >= 120 ? left / 60 + " minutes" : left
                    + " seconds") + "), and your next Open gives you the new version.");
        });
    }
}
