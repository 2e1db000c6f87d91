package io.atrium.vmm.gpu;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses the table of {@code nvidia-smi mig -lgip} (GPU-instance profiles), and joins it with the placements
 * of {@code nvidia-smi mig -lgipp}.
 *
 * <p>The table is read by a small state machine over lines: it waits for the header line (the one naming
 * {@code Name} and {@code ID}), takes the column names of the header's first line after {@code P2P} (or after
 * {@code Memory} on drivers without that column) and of its second line after the memory unit ({@code GiB} or
 * {@code MiB}), then after the {@code ===} rule reads each profile as a first row
 * ({@code GPU [MIG] name id free/total memory [p2p] numbers...}) optionally followed by a row of numbers only
 * (the second header line's columns). {@code +---} rules end a profile. Anything else (banners, blank lines,
 * {@code No MIG-supported devices found.}) is ignored.
 */
public final class MigProfileTableParser {

    /**
     * One row of the profile table, before it is joined with its placement.
     *
     * @param memoryMiB framebuffer of one instance in MiB (converted from the table's unit)
     * @param engines   further numeric columns by header name, in table order
     */
    public record Row(int gpu, String name, int profileId, int instancesFree, int instancesTotal, long memoryMiB,
                      Map<String, Integer> engines) {
    }

    private enum State { SEEK_HEADER, HEADER, ROWS }

    private static final BigDecimal MIB_PER_GIB = BigDecimal.valueOf(1024);

    private MigProfileTableParser() {
    }

    /** Rows by GPU index, in table order. */
    public static Map<Integer, List<Row>> parse(String text) {
        Map<Integer, List<Row>> rows = new TreeMap<>();
        State state = State.SEEK_HEADER;
        List<String> firstColumns = List.of();
        List<String> secondColumns = List.of();
        boolean p2p = false;
        BigDecimal unitMiB = MIB_PER_GIB;
        PendingRow pending = null;
        int lineNo = 0;
        for (String line : text.split("\\R")) {
            lineNo++;
            String body = stripBars(line);
            List<String> tokens = body.isEmpty() ? List.of() : Arrays.asList(body.split("\\s+"));
            if (isRule(line)) {
                if (line.contains("=")) {
                    state = state == State.SEEK_HEADER ? State.SEEK_HEADER : State.ROWS;
                } else {
                    pending = flush(pending, rows);
                }
                continue;
            }
            if (isHeaderStart(tokens)) {
                pending = flush(pending, rows);
                p2p = tokens.contains("P2P");
                int after = tokens.indexOf(p2p ? "P2P" : "Memory");
                firstColumns = after < 0 ? List.of() : List.copyOf(tokens.subList(after + 1, tokens.size()));
                secondColumns = List.of();
                state = State.HEADER;
                continue;
            }
            switch (state) {
                case SEEK_HEADER -> {
                    // banner or message such as "No MIG-supported devices found."
                }
                case HEADER -> {
                    for (int i = 0; i < tokens.size(); i++) {
                        BigDecimal unit = unitMiB(tokens.get(i));
                        if (unit != null) {
                            unitMiB = unit;
                            secondColumns = List.copyOf(tokens.subList(i + 1, tokens.size()));
                            break;
                        }
                    }
                }
                case ROWS -> {
                    if (tokens.isEmpty()) {
                        continue;
                    }
                    if (tokens.stream().allMatch(MigProfileTableParser::isInt)) {
                        if (pending != null) {
                            putColumns(pending.engines, secondColumns, tokens, 0, lineNo);
                        }
                        continue;
                    }
                    if (isInt(tokens.getFirst())) {
                        pending = flush(pending, rows);
                        pending = firstRow(tokens, p2p, firstColumns, unitMiB, lineNo);
                    }
                }
            }
        }
        flush(pending, rows);
        rows.replaceAll((gpu, list) -> List.copyOf(list));
        return Collections.unmodifiableMap(rows);
    }

    /**
     * Joins {@code -lgip} and {@code -lgipp} output into profiles by GPU index. A profile without a placement
     * line, or whose name does not state its compute slices ({@code <N>g.}), cannot be placed and is left out.
     */
    public static Map<Integer, List<MigProfile>> parseProfiles(String lgip, String lgipp) {
        Map<Integer, List<Row>> rows = parse(lgip);
        Map<Integer, Map<Integer, MigPlacement>> placements = MigPlacementParser.parse(lgipp);
        Map<Integer, List<MigProfile>> result = new TreeMap<>();
        rows.forEach((gpu, list) -> {
            Map<Integer, MigPlacement> gpuPlacements = placements.getOrDefault(gpu, Map.of());
            List<MigProfile> profiles = new ArrayList<>();
            for (Row row : list) {
                MigPlacement placement = gpuPlacements.get(row.profileId());
                int compute = MigProfile.computeSlicesOf(row.name());
                if (placement == null || compute <= 0) {
                    continue;
                }
                profiles.add(new MigProfile(row.name(), row.profileId(), row.instancesFree(), row.instancesTotal(),
                        row.memoryMiB(), compute, row.engines(), placement));
            }
            result.put(gpu, profiles.stream().sorted(GpuDevice.LARGEST_FIRST).toList());
        });
        return Collections.unmodifiableMap(result);
    }

    private static final class PendingRow {
        int gpu;
        String name;
        int profileId;
        int free;
        int total;
        long memoryMiB;
        final Map<String, Integer> engines = new LinkedHashMap<>();
    }

    private static PendingRow firstRow(List<String> tokens, boolean p2p, List<String> columns, BigDecimal unitMiB,
                                       int lineNo) {
        try {
            int i = 0;
            PendingRow row = new PendingRow();
            row.gpu = Integer.parseInt(tokens.get(i++));
            if (tokens.get(i).equals("MIG")) {
                i++;
            }
            row.name = tokens.get(i++);
            row.profileId = Integer.parseInt(tokens.get(i++));
            String[] instances = tokens.get(i++).split("/");
            if (instances.length != 2) {
                throw new NvidiaSmiParseException("mig -lgip line " + lineNo + ": instances not free/total");
            }
            row.free = Integer.parseInt(instances[0].strip());
            row.total = Integer.parseInt(instances[1].strip());
            row.memoryMiB = new BigDecimal(tokens.get(i++)).multiply(unitMiB).setScale(0, RoundingMode.HALF_UP)
                    .longValueExact();
            if (p2p) {
                i++;
            }
            putColumns(row.engines, columns, tokens, i, lineNo);
            return row;
        } catch (IndexOutOfBoundsException | NumberFormatException | ArithmeticException e) {
            throw new NvidiaSmiParseException("mig -lgip line " + lineNo + ": cannot read profile row: "
                    + String.join(" ", tokens), e);
        }
    }

    private static void putColumns(Map<String, Integer> target, List<String> names, List<String> tokens, int from,
                                   int lineNo) {
        for (int c = 0; from + c < tokens.size(); c++) {
            String value = tokens.get(from + c);
            if (!isInt(value)) {
                continue;
            }
            String name = c < names.size() ? names.get(c) : "column" + (from + c);
            target.putIfAbsent(name, Integer.parseInt(value));
        }
    }

    private static PendingRow flush(PendingRow pending, Map<Integer, List<Row>> rows) {
        if (pending != null) {
            rows.computeIfAbsent(pending.gpu, g -> new ArrayList<>()).add(new Row(pending.gpu, pending.name,
                    pending.profileId, pending.free, pending.total, pending.memoryMiB, pending.engines));
        }
        return null;
    }

    private static boolean isRule(String line) {
        String s = line.strip();
        return s.length() > 2 && s.chars().allMatch(ch -> ch == '+' || ch == '-' || ch == '=' || ch == '|');
    }

    private static boolean isHeaderStart(List<String> tokens) {
        return tokens.contains("Name") && tokens.contains("ID") && tokens.contains("GPU");
    }

    private static BigDecimal unitMiB(String token) {
        return switch (token.toLowerCase(Locale.ROOT)) {
            case "gib", "gb" -> MIB_PER_GIB;
            case "mib", "mb" -> BigDecimal.ONE;
            default -> null;
        };
    }

    private static boolean isInt(String token) {
        if (token.isEmpty()) {
            return false;
        }
        for (int i = 0; i < token.length(); i++) {
            if (!Character.isDigit(token.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String stripBars(String line) {
        String s = line.strip();
        if (s.startsWith("|")) {
            s = s.substring(1);
        }
        if (s.endsWith("|")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.strip();
    }
}
