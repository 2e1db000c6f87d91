package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code nvidia-smi --query-gpu=... --format=csv} into {@link GpuDevice}s (without MIG profiles).
 *
 * <p>Columns are found by the header names ({@code memory.total [MiB]} is the column {@code memory.total}), so
 * their order does not matter and unknown columns are ignored. Output without a header
 * ({@code --format=csv,noheader}) is read in the order of {@link #QUERY_FIELDS}. Values may carry units
 * ({@code 81559 MiB}) or be {@code [N/A]}. Blank lines are skipped; {@code index} and {@code uuid} are required.
 */
public final class QueryGpuCsvParser {

    /** The fields {@link NvidiaSmiInventory} queries, in order. */
    public static final List<String> QUERY_FIELDS = List.of("index", "uuid", "name", "pci.bus_id", "memory.total",
            "memory.used", "utilization.gpu", "mig.mode.current", "mig.mode.pending", "driver_version");

    private static final Pattern LEADING_NUMBER = Pattern.compile("^\\s*(\\d+)");

    private QueryGpuCsvParser() {
    }

    public static List<GpuDevice> parse(String csv) {
        List<GpuDevice> gpus = new ArrayList<>();
        Map<String, Integer> columns = null;
        int lineNo = 0;
        for (String raw : csv.split("\\R")) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            List<String> cells = splitCells(line);
            if (columns == null) {
                if (looksLikeHeader(cells)) {
                    columns = headerColumns(cells);
                    continue;
                }
                columns = headerColumns(QUERY_FIELDS);
            }
            gpus.add(row(cells, columns, lineNo));
        }
        return List.copyOf(gpus);
    }

    private static boolean looksLikeHeader(List<String> cells) {
        return !cells.isEmpty() && !LEADING_NUMBER.matcher(cells.getFirst()).find();
    }

    private static Map<String, Integer> headerColumns(List<String> names) {
        Map<String, Integer> columns = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            int unit = name.indexOf('[');
            if (unit >= 0) {
                name = name.substring(0, unit);
            }
            columns.putIfAbsent(name.strip().toLowerCase(Locale.ROOT), i);
        }
        return columns;
    }

    private static List<String> splitCells(String line) {
        List<String> cells = new ArrayList<>();
        for (String cell : line.split(",", -1)) {
            cells.add(cell.strip());
        }
        return cells;
    }

    private static GpuDevice row(List<String> cells, Map<String, Integer> columns, int lineNo) {
        String index = cell(cells, columns, "index");
        String uuid = cell(cells, columns, "uuid");
        if (index.isEmpty() || uuid.isEmpty()) {
            throw new NvidiaSmiParseException("query-gpu line " + lineNo + ": index and uuid are required");
        }
        Matcher idx = LEADING_NUMBER.matcher(index);
        if (!idx.find()) {
            throw new NvidiaSmiParseException("query-gpu line " + lineNo + ": bad index '" + index + "'");
        }
        return new GpuDevice(
                Integer.parseInt(idx.group(1)),
                uuid,
                cell(cells, columns, "name"),
                cell(cells, columns, "pci.bus_id"),
                mib(cell(cells, columns, "memory.total")),
                MigMode.parse(orNull(cell(cells, columns, "mig.mode.current"))),
                MigMode.parse(orNull(cell(cells, columns, "mig.mode.pending"))),
                notAvailableToEmpty(cell(cells, columns, "driver_version")),
                "",
                "",
                false,
                List.of());
    }

    private static String cell(List<String> cells, Map<String, Integer> columns, String name) {
        Integer i = columns.get(name);
        return i == null || i >= cells.size() ? "" : cells.get(i);
    }

    private static String orNull(String value) {
        return value.isEmpty() ? null : value;
    }

    private static String notAvailableToEmpty(String value) {
        return value.contains("N/A") ? "" : value;
    }

    /** {@code 81559 MiB} or {@code 81559} to 81559; {@code [N/A]} or empty to 0. */
    static long mib(String value) {
        Matcher m = LEADING_NUMBER.matcher(value);
        return m.find() ? Long.parseLong(m.group(1)) : 0L;
    }
}
