package io.atrium.broker.portal;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.vmm.api.HostPreparation;
import io.atrium.vmm.api.MachineHost;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.Optional;

/**
 * What "My desktops" shows a user: per entitled pool their desktop's state in words and, while the pool cannot give
 * them one yet, what is happening and how far it is (the host's image build or template preparation, as values from
 * the machines seam, then the desktops starting), and a live thumbnail of their own desktop. Every method works for
 * the caller only: the cards come from {@link DesktopService#myDesktops}, a thumbnail only of a desktop assigned to
 * the caller.
 */
@Service
public class PortalService {

    private final DesktopService desktops;
    private final DesktopAdminService counts;
    private final MachineHost machines;

    PortalService(DesktopService desktops, DesktopAdminService counts, MachineHost machines) {
        this.desktops = desktops;
        this.counts = counts;
        this.machines = machines;
    }

    /**
     * One card.
     *
     * @param desktop  the pool and the user's desktop in it, if any
     * @param state    the state in words
     * @param progress what the pool is doing while it cannot give the user a desktop, if anything
     */
    public record Card(DesktopService.MyDesktop desktop, String state, Optional<Progress> progress) {
        /** Whether Open can give the user a desktop now. */
        public boolean openable() {
            return desktop.desktop().map(d -> d.state() != DesktopState.FAILED && d.state() != DesktopState.STOPPED)
                    .orElse(desktop.free() > 0);
        }
    }

    /**
     * Work under way, for a progress bar.
     *
     * @param text what is happening ("building the desktop image, 2 of 5 steps")
     * @param done how far (0..total)
     * @param total how far it goes
     */
    public record Progress(String text, int done, int total) {
    }

    @PreAuthorize("isAuthenticated()")
    public List<Card> cards() {
        List<HostPreparation> preparing = machines.preparations();
        return desktops.myDesktops().stream().map(card -> card(card, preparing)).toList();
    }

    /** The caller's desktop's screen (PNG), empty when its machine does not run or gives none. */
    @PreAuthorize("isAuthenticated()")
    public Optional<byte[]> thumbnail(String desktopId) {
        Desktop d = desktops.myDesktop(desktopId);
        if (!DesktopState.RUNNING.contains(d.state())) {
            return Optional.empty();
        }
        return machines.screendump(d.name());
    }

    private Card card(DesktopService.MyDesktop card, List<HostPreparation> preparing) {
        if (card.desktop().isPresent()) {
            Desktop d = card.desktop().get();
            return new Card(card, words(d), d.state() == DesktopState.PROVISIONING || d.state() == DesktopState.FAILED
                    ? warmUp(card, preparing) : Optional.empty());
        }
        if (card.free() > 0) {
            return new Card(card, card.free() == 1 ? "1 desktop ready to open" : card.free() + " desktops ready to open",
                    Optional.empty());
        }
        Optional<Progress> progress = warmUp(card, preparing);
        return new Card(card, progress.isPresent() ? "getting ready" : "all desktops are in use; try again shortly",
                progress);
    }

    /** Image build or template preparation of the pool's image on the host, else the desktops that are starting. */
    private Optional<Progress> warmUp(DesktopService.MyDesktop card, List<HostPreparation> preparing) {
        String image = card.pool().image();
        for (HostPreparation p : preparing) {
            if (p.image().equals(image)) {
                String what = p.kind() == HostPreparation.Kind.IMAGE_BUILD ? "building the desktop image"
                        : "preparing the desktop template";
                return Optional.of(new Progress(what + ", " + p.step() + " of " + p.steps() + " steps (" + p.doing()
                        + ")", p.step() - 1, p.steps()));
            }
        }
        DesktopAdminService.PoolStatus s = counts.countsOf(card.pool());
        int up = Math.max(0, s.size() - s.provisioning() - s.failed() - s.stopped());
        if (s.warmingUp() && s.target() > 0) {
            return Optional.of(new Progress("starting desktops: " + Math.min(up, s.target()) + " of " + s.target()
                    + " ready", Math.min(up, s.target()), s.target()));
        }
        return Optional.empty();
    }

    static String words(Desktop d) {
        return switch (d.state()) {
            case ASSIGNED -> "yours, ready to open";
            case CONNECTED -> "open in a viewer";
            case DISCONNECTED -> "running; open it to continue where you left off";
            case PROVISIONING -> "starting";
            case READY -> "ready";
            case LOGGING_OFF -> "logging off";
            case REFRESHING -> "being cleaned up";
            case FAILED -> "stopped unexpectedly; it is being started again";
            case STOPPED -> "shut down by an administrator";
            case DELETED -> throw new BrokerException(BrokerStatus.NOT_FOUND, "deleted desktop");
        };
    }
}
