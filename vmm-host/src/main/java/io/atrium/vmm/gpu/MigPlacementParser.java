package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code nvidia-smi mig -lgipp}: one line per GPU and profile, e.g.
 * {@code GPU  0 Profile ID 15 Placements: {0,2,4,6}:2} or {@code GPU  0 Profile ID  5 Placement : {0}:4}.
 *
 * <p>Lines that are not GPU-instance placements (banners, blank lines, compute-instance placements that name a
 * {@code GI}) are skipped, so the parser accepts whatever surrounds the lines it understands.
 */
public final class MigPlacementParser {

    private static final Pattern LINE = Pattern.compile(
            "^\\s*GPU\\s+(\\d+)\\s+Profile\\s+ID\\s+(\\d+)\\s+Placements?\\s*:\\s*\\{([\\d,\\s]*)}\\s*:\\s*(\\d+)\\s*$",
            Pattern.CASE_INSENSITIVE);

    private MigPlacementParser() {
    }

    /** Placements by GPU index, then by profile id. */
    public static Map<Integer, Map<Integer, MigPlacement>> parse(String text) {
        Map<Integer, Map<Integer, MigPlacement>> byGpu = new TreeMap<>();
        for (String line : text.split("\\R")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            int gpu = Integer.parseInt(m.group(1));
            int profileId = Integer.parseInt(m.group(2));
            List<Integer> starts = new ArrayList<>();
            for (String s : m.group(3).split(",")) {
                if (!s.isBlank()) {
                    starts.add(Integer.parseInt(s.strip()));
                }
            }
            int size = Integer.parseInt(m.group(4));
            if (starts.isEmpty()) {
                continue;
            }
            byGpu.computeIfAbsent(gpu, g -> new TreeMap<>()).put(profileId, new MigPlacement(starts, size));
        }
        byGpu.replaceAll((gpu, profiles) -> Collections.unmodifiableMap(profiles));
        return Collections.unmodifiableMap(byGpu);
    }
}
