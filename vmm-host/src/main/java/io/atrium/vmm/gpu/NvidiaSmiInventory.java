package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inventory of the real GPUs of this host, read with nvidia-smi.
 *
 * <p>Only the read-only commands in {@link #COMMANDS} are ever run: this class never enables or disables MIG,
 * creates or destroys GPU instances, or resets a GPU. Those changes are an administrator's job
 * (e.g. {@code nvidia-smi -i 0 -mig 1} and a GPU reset), after which a new {@link #discover()} sees them.
 *
 * <p>The GPU list ({@code --query-gpu}) is required. The {@code -q -x} document (virtualization mode) and the
 * MIG profile tables ({@code mig -lgip}, {@code mig -lgipp}) are optional: a GPU or driver without MIG makes
 * nvidia-smi fail those commands, which leaves the GPUs without MIG profiles.
 */
public final class NvidiaSmiInventory implements GpuInventory {

    private static final Logger log = LoggerFactory.getLogger(NvidiaSmiInventory.class);

    public static final List<String> QUERY_GPU = List.of("nvidia-smi",
            "--query-gpu=" + String.join(",", QueryGpuCsvParser.QUERY_FIELDS), "--format=csv");
    public static final List<String> QUERY_XML = List.of("nvidia-smi", "-q", "-x");
    public static final List<String> LIST_PROFILES = List.of("nvidia-smi", "mig", "-lgip");
    public static final List<String> LIST_PLACEMENTS = List.of("nvidia-smi", "mig", "-lgipp");

    /** Every command this class may run. */
    public static final List<List<String>> COMMANDS = List.of(QUERY_GPU, QUERY_XML, LIST_PROFILES, LIST_PLACEMENTS);

    private final CommandRunner runner;

    public NvidiaSmiInventory(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public List<GpuDevice> discover() {
        List<GpuDevice> gpus = QueryGpuCsvParser.parse(runner.run(QUERY_GPU));
        if (gpus.isEmpty()) {
            return List.of();
        }
        Map<String, NvidiaSmiXmlParser.GpuXml> xmlByUuid = optional(QUERY_XML)
                .map(NvidiaSmiXmlParser::parse)
                .map(list -> list.stream().collect(Collectors.toMap(NvidiaSmiXmlParser.GpuXml::uuid,
                        Function.identity(), (a, b) -> a)))
                .orElse(Map.of());
        Map<Integer, List<MigProfile>> profiles = Map.of();
        var lgip = optional(LIST_PROFILES);
        if (lgip.isPresent()) {
            var lgipp = optional(LIST_PLACEMENTS);
            if (lgipp.isPresent()) {
                profiles = MigProfileTableParser.parseProfiles(lgip.get(), lgipp.get());
            }
        }
        List<GpuDevice> result = new ArrayList<>();
        for (GpuDevice gpu : gpus) {
            NvidiaSmiXmlParser.GpuXml xml = xmlByUuid.get(gpu.uuid());
            GpuDevice d = gpu.withMigProfiles(profiles.getOrDefault(gpu.index(), List.of()));
            if (xml != null) {
                d = d.withVirtualizationMode(xml.virtualizationMode());
            }
            result.add(d);
        }
        result.sort(Comparator.comparingInt(GpuDevice::index));
        return List.copyOf(result);
    }

    private java.util.Optional<String> optional(List<String> argv) {
        try {
            return java.util.Optional.of(runner.run(argv));
        } catch (CommandFailedException e) {
            log.info("{} failed, continuing without it: {}", String.join(" ", argv), e.getMessage());
            return java.util.Optional.empty();
        }
    }
}
