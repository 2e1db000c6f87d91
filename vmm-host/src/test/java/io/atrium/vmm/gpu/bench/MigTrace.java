package io.atrium.vmm.gpu.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded, policy-independent trace of MIG slice requests and departures.
 *
 * <p>Each step is an arrival with probability {@code target / (target + live)} (so about {@code target} requests
 * are live at a time) and otherwise the departure of a uniformly chosen live request. A request's departure is
 * in the trace whether or not a policy accepted it; replaying a departure of a refused request does nothing.
 * That keeps the offered load identical for every policy.
 *
 * @param seed  random seed
 * @param mix   profile name to relative weight, in a fixed order
 * @param steps the operations
 */
public record MigTrace(long seed, Map<String, Integer> mix, int target, List<Step> steps) {

    /** Arrival of request {@code request} for {@code profile}, or departure of request {@code request}. */
    public record Step(boolean arrival, int request, String profile) {
    }

    /** Demand mix of the benchmark: many small desktops, some large ones, a few whole-GPU instances. */
    public static final Map<String, Integer> DEFAULT_MIX = defaultMix();

    private static Map<String, Integer> defaultMix() {
        Map<String, Integer> mix = new LinkedHashMap<>();
        mix.put("1g.10gb", 30);
        mix.put("1g.20gb", 15);
        mix.put("2g.20gb", 20);
        mix.put("3g.40gb", 15);
        mix.put("4g.40gb", 10);
        mix.put("7g.80gb", 10);
        return java.util.Collections.unmodifiableMap(mix);
    }

    public static MigTrace generate(long seed, int operations, int target, Map<String, Integer> mix) {
        Random random = new Random(seed);
        List<String> names = List.copyOf(mix.keySet());
        int totalWeight = mix.values().stream().mapToInt(Integer::intValue).sum();
        List<Step> steps = new ArrayList<>(operations);
        List<Integer> live = new ArrayList<>();
        Map<Integer, String> profileOf = new LinkedHashMap<>();
        int next = 0;
        for (int i = 0; i < operations; i++) {
            boolean arrival = live.isEmpty() || random.nextDouble() < (double) target / (target + live.size());
            if (arrival) {
                int pick = random.nextInt(totalWeight);
                String profile = null;
                for (String name : names) {
                    pick -= mix.get(name);
                    if (pick < 0) {
                        profile = name;
                        break;
                    }
                }
                int request = next++;
                profileOf.put(request, profile);
                live.add(request);
                steps.add(new Step(true, request, profile));
            } else {
                int request = live.remove(random.nextInt(live.size()));
                steps.add(new Step(false, request, profileOf.get(request)));
            }
        }
        return new MigTrace(seed, mix, target, List.copyOf(steps));
    }
}
