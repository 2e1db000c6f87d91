package io.atrium.vmm.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Captured nvidia-smi output under src/test/resources/nvidia-smi/&lt;model&gt;/. */
final class Fixtures {

    static final String H100 = "h100-80gb-hbm3";
    static final String H200 = "h200-141gb";

    private Fixtures() {
    }

    static String read(String model, String file) {
        String path = "/nvidia-smi/" + model + "/" + file;
        try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A runner answering the inventory's commands from a model's captures, recording every argv. */
    static final class FixtureRunner implements CommandRunner {
        final String model;
        final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());

        FixtureRunner(String model) {
            this.model = model;
        }

        @Override
        public String run(List<String> argv) {
            calls.add(List.copyOf(argv));
            Map<List<String>, String> files = Map.of(
                    NvidiaSmiInventory.QUERY_GPU, "query.csv",
                    NvidiaSmiInventory.QUERY_XML, "q.xml",
                    NvidiaSmiInventory.LIST_PROFILES, "lgip.txt",
                    NvidiaSmiInventory.LIST_PLACEMENTS, "lgipp.txt");
            String file = files.get(argv);
            if (file == null) {
                throw new CommandFailedException(argv, 2, "unexpected command");
            }
            return read(model, file);
        }
    }

    /** GPU 0 of the capture, as a real GPU discovered through {@link NvidiaSmiInventory}. */
    static GpuDevice real(String model) {
        return new NvidiaSmiInventory(new FixtureRunner(model)).discover().getFirst();
    }

    /** The real GPU of the capture with hardware MIG mode enabled (as after 'nvidia-smi -mig 1' and a reset). */
    static GpuDevice realMigEnabled(String model) {
        GpuDevice d = real(model);
        return new GpuDevice(d.index(), d.uuid(), d.name(), d.pciBusId(), d.memoryTotalMiB(), MigMode.ENABLED,
                MigMode.ENABLED, d.driverVersion(), d.virtualizationMode(), d.model(), false, d.migProfiles());
    }

    static MigProfile profile(GpuDevice gpu, String name) {
        return gpu.migProfiles().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }
}
