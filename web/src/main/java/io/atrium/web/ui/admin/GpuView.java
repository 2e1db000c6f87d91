package io.atrium.web.ui.admin;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.combobox.ComboBox;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.atrium.broker.BrokerException;
import io.atrium.broker.gpu.GpuOverview;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.gpu.PoolGpuPlan;
import io.atrium.broker.gpu.SliceHolder;
import io.atrium.broker.gpu.UnrestoredSlice;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuSlice;
import io.atrium.vmm.gpu.GpuSnapshot;
import io.atrium.vmm.gpu.MigProfile;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The host's GPUs for administrators: per GPU a picture of its slices (a row of compute slices and a row of memory
 * slices, 7 and 8 on an H100), coloured by pool and desktop, with utilisation, the sharing mode (switchable while
 * the GPU is empty), whether it is real or simulated, and what still fits; and per pool with a GPU profile how many
 * desktops got a slice and why not the rest.
 *
 * <p>Everything comes from {@link GpuService}, which checks {@code ROLE_ADMIN} itself.
 */
@Route(value = "admin/gpus", layout = MainLayout.class)
@PageTitle("GPUs · Atrium")
@RolesAllowed("ADMIN")
public class GpuView extends VerticalLayout {

    private static final String FREE = "var(--lumo-contrast-10pct)";
    private static final int[] HUES = {210, 140, 30, 280, 0, 175, 50, 320, 95, 250};

    private final GpuService gpus;
    private final Map<String, Integer> poolHue = new LinkedHashMap<>();

    public GpuView(GpuService gpus) {
        this.gpus = gpus;
        setId("gpu-view");
        refresh();
    }

    private void refresh() {
        removeAll();
        GpuOverview o = gpus.overview();
        poolHue.clear();
        o.pools().forEach(p -> hueOf(p.poolName()));
        o.holders().values().stream().map(SliceHolder::poolName).sorted().forEach(this::hueOf);

        add(new H1("GPUs"));
        boolean anySimulated = o.gpus().stream().anyMatch(GpuSnapshot::simulated);
        Paragraph inventory = new Paragraph("Inventory: " + o.inventory() + " · MIG placement: " + o.migPolicy()
                + (o.gpus().isEmpty() ? " · this host has no GPUs" : ""));
        inventory.setId("gpu-inventory");
        add(inventory);
        if (anySimulated) {
            Paragraph note = new Paragraph("Simulated GPUs are accounting only: desktops reserve slices on them so "
                    + "that pools can be planned and tested, but no GPU device is given to their virtual machines.");
            note.setId("gpu-simulated-note");
            note.getStyle().set("color", "var(--lumo-secondary-text-color)");
            add(note);
        }

        add(poolSection(o));
        if (!o.unrestored().isEmpty()) {
            add(new H3("Slices not restored at start-up"));
            for (UnrestoredSlice u : o.unrestored()) {
                Span s = new Span("desktop " + u.desktopId() + ": " + u.profile() + " on GPU " + u.gpuIndex() + " — "
                        + u.reason());
                s.getStyle().set("color", "var(--lumo-error-text-color)");
                add(s);
            }
        }
        add(legend(o));
        HorizontalLayout cards = new HorizontalLayout();
        cards.getStyle().set("flex-wrap", "wrap").set("gap", "var(--lumo-space-l)");
        for (GpuSnapshot gpu : o.gpus()) {
            cards.add(gpuCard(gpu, o.holders()));
        }
        add(cards);
    }

    // ------------------------------------------------------------------ pools

    private Component poolSection(GpuOverview o) {
        VerticalLayout box = new VerticalLayout();
        box.setPadding(false);
        box.setSpacing(false);
        box.setId("gpu-pools");
        box.add(new H3("Pools"));
        if (o.pools().isEmpty()) {
            box.add(new Span("No pool has a GPU profile."));
        }
        for (PoolGpuPlan p : o.pools()) {
            String text = "pool " + p.poolName() + " (profile " + p.profile() + "): placed " + p.placed() + " of "
                    + p.wanted() + " desktop" + (p.wanted() == 1 ? "" : "s")
                    + (p.reason() == null ? "" : " — " + p.reason());
            Span line = new Span(text);
            line.addClassName("gpu-pool-plan");
            line.getStyle().set("border-left", "0.5rem solid " + color(p.poolName(), 0))
                    .set("padding-left", "var(--lumo-space-s)").set("margin", "var(--lumo-space-xs) 0");
            if (p.reason() != null) {
                line.getStyle().set("color", "var(--lumo-error-text-color)");
            }
            box.add(line);
        }
        box.add(profileForm(o));
        return box;
    }

    /** Gives a pool a GPU profile, or takes it away. */
    private Component profileForm(GpuOverview o) {
        List<PoolGpuPlan> all = gpus.poolPlans();
        ComboBox<PoolGpuPlan> pool = new ComboBox<>("Pool");
        pool.setItems(all);
        pool.setItemLabelGenerator(p -> p.poolName() + (p.profile() == null ? "" : " (" + p.profile() + ")"));
        pool.setId("gpu-pool-select");
        ComboBox<String> profile = new ComboBox<>("GPU profile");
        List<String> choices = new ArrayList<>();
        choices.add("none");
        choices.addAll(o.profiles());
        profile.setItems(choices);
        profile.setId("gpu-profile-select");
        pool.addValueChangeListener(e -> profile.setValue(e.getValue() == null || e.getValue().profile() == null
                ? "none" : e.getValue().profile()));
        Button apply = new Button("Set profile", e -> {
            if (pool.getValue() == null) {
                error("Choose a pool first.");
                return;
            }
            String chosen = profile.getValue() == null || profile.getValue().equals("none") ? null : profile.getValue();
            try {
                PoolGpuPlan plan = gpus.setPoolProfile(pool.getValue().poolId(), chosen);
                Notification n = Notification.show("pool " + plan.poolName() + ": " + plan.summary());
                n.addThemeVariants(NotificationVariant.LUMO_SUCCESS);
                refresh();
            } catch (BrokerException ex) {
                error(ex.getMessage());
            }
        });
        apply.setId("gpu-profile-apply");
        apply.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        HorizontalLayout form = new HorizontalLayout(pool, profile, apply);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        return form;
    }

    private Component legend(GpuOverview o) {
        HorizontalLayout legend = new HorizontalLayout();
        legend.setId("gpu-legend");
        legend.getStyle().set("flex-wrap", "wrap");
        for (String pool : poolHue.keySet()) {
            Span swatch = new Span();
            swatch.getStyle().set("display", "inline-block").set("width", "1rem").set("height", "1rem")
                    .set("border-radius", "3px").set("background", color(pool, 0)).set("margin-right", "0.3rem");
            Span item = new Span(swatch, new Span(pool));
            item.getStyle().set("display", "inline-flex").set("align-items", "center");
            legend.add(item);
        }
        Span free = new Span();
        free.getStyle().set("display", "inline-block").set("width", "1rem").set("height", "1rem")
                .set("border-radius", "3px").set("background", FREE).set("margin-right", "0.3rem");
        Span freeItem = new Span(free, new Span("free"));
        freeItem.getStyle().set("display", "inline-flex").set("align-items", "center");
        legend.add(freeItem);
        return legend;
    }

    // ------------------------------------------------------------------ one GPU

    private Component gpuCard(GpuSnapshot gpu, Map<String, SliceHolder> holders) {
        VerticalLayout card = new VerticalLayout();
        card.addClassName("gpu-card");
        card.setId("gpu-" + gpu.index());
        card.setWidth("28rem");
        card.getStyle().set("border", "1px solid var(--lumo-contrast-20pct)")
                .set("border-radius", "var(--lumo-border-radius-l)");

        Span kind = new Span(gpu.simulated() ? "simulated" : "real");
        kind.addClassName("gpu-kind");
        kind.getElement().getThemeList().add(gpu.simulated() ? "badge contrast" : "badge success");
        kind.getElement().setAttribute("title", gpu.simulated()
                ? "Simulated from captured nvidia-smi output of " + gpu.model() + ": accounting only, no device"
                : "A real GPU; slices are passed to VMs with VFIO / vGPU mediated devices");
        H3 title = new H3("GPU " + gpu.index() + " · " + gpu.name());
        title.getStyle().set("margin", "0");
        HorizontalLayout head = new HorizontalLayout(title, kind);
        head.setAlignItems(FlexComponent.Alignment.CENTER);

        Select<GpuMode> mode = new Select<>();
        mode.setLabel("Mode");
        mode.setItems(GpuMode.values());
        mode.setItemLabelGenerator(m -> switch (m) {
            case MIG -> "MIG";
            case TIME_SLICED -> "time-sliced";
            case NONE -> "none (whole GPU)";
        });
        mode.setValue(gpu.mode());
        mode.addClassName("gpu-mode");
        mode.addValueChangeListener(e -> {
            if (!e.isFromClient() || e.getValue() == null) {
                return;
            }
            try {
                gpus.switchMode(gpu.index(), e.getValue());
                Notification n = Notification.show("GPU " + gpu.index() + " is now in " + e.getValue() + " mode");
                n.addThemeVariants(NotificationVariant.LUMO_SUCCESS);
                refresh();
            } catch (BrokerException ex) {
                error(ex.getMessage());
                mode.setValue(e.getOldValue());
            }
        });

        card.add(head, mode, utilisation(gpu));
        switch (gpu.mode()) {
            case MIG -> card.add(migPicture(gpu, holders));
            case TIME_SLICED, NONE -> card.add(slotPicture(gpu, holders));
        }
        card.add(fitsGrid(gpu));
        return card;
    }

    private Component utilisation(GpuSnapshot gpu) {
        String memory = String.format(Locale.ROOT, "%.1f of %.1f GiB framebuffer", gpu.usedMemoryMiB() / 1024.0,
                gpu.totalMemoryMiB() / 1024.0);
        String text = switch (gpu.mode()) {
            case MIG -> "compute " + gpu.usedComputeSlices() + "/" + gpu.totalComputeSlices() + " · memory slices "
                    + gpu.usedMemorySlices() + "/" + gpu.totalMemorySlices() + " · " + memory;
            case TIME_SLICED -> gpu.slices().size() + " time-sliced share(s)"
                    + (gpu.timeSlicedProfile() == null ? "" : " of " + gpu.timeSlicedProfile()) + " · " + memory;
            case NONE -> (gpu.slices().isEmpty() ? "free" : "given whole to one desktop") + " · " + memory;
        };
        Span s = new Span("Utilisation: " + text);
        s.addClassName("gpu-utilisation");
        return s;
    }

    /** A row of compute slices (how many each instance uses) and a row of memory slices (exact placements). */
    private Component migPicture(GpuSnapshot gpu, Map<String, SliceHolder> holders) {
        List<GpuSlice> slices = gpu.slices().stream().sorted(Comparator.comparingInt(GpuSlice::start)).toList();
        Div compute = row(gpu.totalComputeSlices());
        compute.addClassName("gpu-compute-row");
        int c = 0;
        for (GpuSlice s : slices) {
            int n = Math.max(1, MigProfile.computeSlicesOf(s.profile()));
            compute.add(cell(s, holders, c + 1, n, "compute"));
            c += n;
        }
        for (; c < gpu.totalComputeSlices(); c++) {
            compute.add(freeCell(c + 1, "compute slice " + c + ": free"));
        }
        Div memory = row(gpu.totalMemorySlices());
        memory.addClassName("gpu-memory-row");
        boolean[] used = new boolean[gpu.totalMemorySlices()];
        for (GpuSlice s : slices) {
            memory.add(cell(s, holders, s.start() + 1, s.size(), "memory"));
            for (int i = s.start(); i < s.start() + s.size() && i < used.length; i++) {
                used[i] = true;
            }
        }
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                memory.add(freeCell(i + 1, "memory slice " + i + ": free"));
            }
        }
        VerticalLayout picture = new VerticalLayout(caption("compute slices (" + gpu.totalComputeSlices()
                + ", by count)"), compute, caption("memory slices (" + gpu.totalMemorySlices() + ", by placement)"),
                memory);
        picture.setPadding(false);
        picture.setSpacing(false);
        return picture;
    }

    /** Time-sliced shares, or the whole GPU, as one cell each. */
    private Component slotPicture(GpuSnapshot gpu, Map<String, SliceHolder> holders) {
        int free = gpu.fits().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (gpu.mode() == GpuMode.TIME_SLICED && gpu.timeSlicedProfile() == null) {
            free = 0; // any size may still be chosen; show no slots until the first share fixes the size
        }
        int slots = Math.max(1, gpu.slices().size() + free);
        Div row = row(slots);
        row.addClassName("gpu-slot-row");
        int col = 1;
        for (GpuSlice s : gpu.slices().stream().sorted(Comparator.comparingInt(GpuSlice::start)).toList()) {
            row.add(cell(s, holders, col++, 1, "share"));
        }
        for (; col <= slots; col++) {
            row.add(freeCell(col, gpu.mode() == GpuMode.NONE ? "whole GPU: free" : "free share"));
        }
        return new VerticalLayout(caption(gpu.mode() == GpuMode.NONE ? "whole GPU" : "time-sliced shares"), row);
    }

    private Component fitsGrid(GpuSnapshot gpu) {
        Grid<Map.Entry<String, Integer>> grid = new Grid<>();
        grid.addClassName("gpu-fits");
        grid.addColumn(Map.Entry::getKey).setHeader("Still fits: profile");
        grid.addColumn(Map.Entry::getValue).setHeader("How many more");
        grid.setItems(new ArrayList<>(gpu.fits().entrySet()));
        grid.setAllRowsVisible(true);
        grid.addThemeVariants(GridVariant.LUMO_COMPACT);
        return grid;
    }

    // ------------------------------------------------------------------ drawing helpers

    private static Div row(int columns) {
        Div row = new Div();
        row.getStyle().set("display", "grid").set("grid-template-columns", "repeat(" + Math.max(1, columns)
                + ", minmax(2.5rem, 1fr))").set("gap", "3px").set("width", "100%");
        return row;
    }

    private Div cell(GpuSlice s, Map<String, SliceHolder> holders, int column, int span, String what) {
        SliceHolder h = holders.get(s.id());
        String pool = h == null ? "?" : h.poolName();
        String desktop = h == null ? s.owner() : h.desktopName();
        Div d = new Div(new Span(s.profile()));
        d.addClassName("gpu-slice");
        d.getElement().setAttribute("data-pool", pool);
        d.getElement().setAttribute("data-desktop", desktop);
        d.getElement().setAttribute("title", "pool " + pool + " · desktop " + desktop + " · " + s.profile()
                + (s.mode() == GpuMode.MIG ? " · memory slices " + s.start() + "–" + (s.start() + s.size() - 1) : "")
                + (s.simulated() ? " · simulated" : " · real") + " (" + what + ")");
        d.getStyle().set("grid-column", column + " / span " + span).set("grid-row", "1")
                .set("background", color(pool, desktopShade(h, s))).set("color", "white")
                .set("font-size", "var(--lumo-font-size-xs)").set("padding", "0.4rem 0.2rem")
                .set("border-radius", "4px").set("text-align", "center").set("overflow", "hidden")
                .set("white-space", "nowrap");
        return d;
    }

    private static Div freeCell(int column, String title) {
        Div d = new Div();
        d.addClassName("gpu-free");
        d.getElement().setAttribute("title", title);
        d.getStyle().set("grid-column", column + " / span 1").set("grid-row", "1").set("background", FREE)
                .set("min-height", "1.9rem").set("border-radius", "4px");
        return d;
    }

    private static Span caption(String text) {
        Span s = new Span(text);
        s.getStyle().set("font-size", "var(--lumo-font-size-xs)").set("color", "var(--lumo-secondary-text-color)");
        return s;
    }

    private int hueOf(String pool) {
        return poolHue.computeIfAbsent(pool, p -> HUES[poolHue.size() % HUES.length]);
    }

    /** The pool's hue; desktops of one pool differ in lightness. */
    private String color(String pool, int shade) {
        int lightness = 38 + (shade % 4) * 8;
        return "hsl(" + hueOf(pool) + ", 60%, " + lightness + "%)";
    }

    private static int desktopShade(SliceHolder h, GpuSlice s) {
        String key = h == null ? s.owner() : h.desktopName();
        return Math.floorMod(key.hashCode(), 4);
    }

    private static void error(String message) {
        Notification n = Notification.show(message, 8000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }
}
