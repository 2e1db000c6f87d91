package io.atrium.vmm.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Inventory of GPUs that do not exist on this host, built from captured nvidia-smi output of a real GPU model
 * shipped as resources under {@code io/atrium/vmm/gpu/models/<model>/} ({@code query.csv}, {@code lgip.txt},
 * {@code lgipp.txt}), parsed by the same parsers as live output. Every GPU it returns has
 * {@link GpuDevice#simulated()} set, an empty PCI bus id, and a UUID derived from the model and index so that
 * persisted allocations stay valid across restarts.
 *
 * <p>Configured with a spec such as {@code 2 x h100-80gb-hbm3, 1 x h200-141gb} (the count and {@code x} may be
 * left out for one GPU). Indexes are assigned in spec order from 0.
 */
public final class SimulatedInventory implements GpuInventory {

    static final String MODELS = "/io/atrium/vmm/gpu/models/";

    private static final Pattern ITEM = Pattern.compile("^\\s*(?:(\\d+)\\s*[xX*]\\s*)?([A-Za-z0-9._-]+)\\s*$");

    private final List<GpuDevice> gpus;

    private SimulatedInventory(List<GpuDevice> gpus) {
        this.gpus = List.copyOf(gpus);
    }

    /** Parses a spec like {@code 2 x h100-80gb-hbm3, 1 x h200-141gb}. */
    public static SimulatedInventory fromSpec(String spec) {
        Objects.requireNonNull(spec, "spec");
        List<GpuDevice> gpus = new ArrayList<>();
        for (String item : spec.split("[,;]")) {
            if (item.isBlank()) {
                continue;
            }
            Matcher m = ITEM.matcher(item);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad simulated GPU item '" + item.strip()
                        + "', expected '<count> x <model>', models: " + models());
            }
            int count = m.group(1) == null ? 1 : Integer.parseInt(m.group(1));
            if (count <= 0) {
                throw new IllegalArgumentException("simulated GPU count must be positive: " + item.strip());
            }
            GpuDevice template = template(m.group(2));
            for (int i = 0; i < count; i++) {
                gpus.add(simulated(template, gpus.size()));
            }
        }
        return new SimulatedInventory(gpus);
    }

    @Override
    public List<GpuDevice> discover() {
        return gpus;
    }

    /** Model keys shipped as resources, e.g. {@code h100-80gb-hbm3}. */
    public static List<String> models() {
        return read("index.txt").lines().map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("#")).toList();
    }

    /** GPU 0 of the captured model, as parsed from its resources (not yet marked simulated). */
    public static GpuDevice template(String model) {
        if (!models().contains(model)) {
            throw new IllegalArgumentException("unknown GPU model '" + model + "', known: " + models());
        }
        List<GpuDevice> captured = QueryGpuCsvParser.parse(read(model + "/query.csv"));
        if (captured.isEmpty()) {
            throw new IllegalStateException("model " + model + " has no GPU in query.csv");
        }
        GpuDevice first = captured.getFirst();
        Map<Integer, List<MigProfile>> profiles = MigProfileTableParser.parseProfiles(
                read(model + "/lgip.txt"), read(model + "/lgipp.txt"));
        return new GpuDevice(first.index(), first.uuid(), first.name(), first.pciBusId(), first.memoryTotalMiB(),
                first.migCurrent(), first.migPending(), first.driverVersion(), first.virtualizationMode(), model,
                false, profiles.getOrDefault(first.index(), List.of()));
    }

    private static GpuDevice simulated(GpuDevice template, int index) {
        String uuid = "GPU-" + UUID.nameUUIDFromBytes(("atrium-simulated-gpu:" + template.model() + ":" + index)
                .getBytes(StandardCharsets.UTF_8));
        return new GpuDevice(index, uuid, template.name(), "", template.memoryTotalMiB(), template.migCurrent(),
                template.migPending(), template.driverVersion(), "", template.model(), true, template.migProfiles());
    }

    private static String read(String relative) {
        String path = MODELS + relative;
        try (InputStream in = SimulatedInventory.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
