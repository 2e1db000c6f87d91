package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static io.atrium.vmm.gpu.Fixtures.H200;
import static io.atrium.vmm.gpu.Fixtures.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NvidiaSmiParsersTest {

    @Test
    void queryCsvH100() {
        List<GpuDevice> gpus = QueryGpuCsvParser.parse(read(H100, "query.csv"));
        assertThat(gpus).hasSize(1);
        GpuDevice g = gpus.getFirst();
        assertThat(g.index()).isZero();
        assertThat(g.uuid()).isEqualTo("GPU-00000000-0000-0000-0000-000000000001");
        assertThat(g.name()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(g.pciBusId()).isEqualTo("00000000:00:06.0");
        assertThat(g.memoryTotalMiB()).isEqualTo(81559);
        assertThat(g.migCurrent()).isEqualTo(MigMode.DISABLED);
        assertThat(g.migPending()).isEqualTo(MigMode.DISABLED);
        assertThat(g.driverVersion()).isEqualTo("580.159.04");
        assertThat(g.simulated()).isFalse();
    }

    @Test
    void queryCsvH200() {
        GpuDevice g = QueryGpuCsvParser.parse(read(H200, "query.csv")).getFirst();
        assertThat(g.uuid()).isEqualTo("GPU-00000000-0000-0000-0000-000000000002");
        assertThat(g.name()).isEqualTo("NVIDIA H200");
        assertThat(g.memoryTotalMiB()).isEqualTo(143771);
        assertThat(g.migCurrent()).isEqualTo(MigMode.DISABLED);
    }

    @Test
    void queryCsvWithoutHeaderUsesQueryOrderAndToleratesCrlfAndNotAvailable() {
        String data = read(H100, "query.csv").lines().skip(1).findFirst().orElseThrow();
        String second = data.replaceFirst("^0,", "1,").replace("Disabled, Disabled", "[N/A], [N/A]");
        List<GpuDevice> gpus = QueryGpuCsvParser.parse(data + "\r\n\r\n" + second + "\r\n");
        assertThat(gpus).extracting(GpuDevice::index).containsExactly(0, 1);
        assertThat(gpus.get(0).memoryTotalMiB()).isEqualTo(81559);
        assertThat(gpus.get(1).migCurrent()).isEqualTo(MigMode.NOT_SUPPORTED);
    }

    @Test
    void queryCsvReorderedColumns() {
        String csv = "uuid, memory.total [MiB], index\nGPU-x, 1024 MiB, 3\n";
        GpuDevice g = QueryGpuCsvParser.parse(csv).getFirst();
        assertThat(g.index()).isEqualTo(3);
        assertThat(g.uuid()).isEqualTo("GPU-x");
        assertThat(g.memoryTotalMiB()).isEqualTo(1024);
        assertThat(g.migCurrent()).isEqualTo(MigMode.UNKNOWN);
    }

    @Test
    void queryCsvRequiresUuid() {
        assertThatThrownBy(() -> QueryGpuCsvParser.parse("index, uuid\n0, \n"))
                .isInstanceOf(NvidiaSmiParseException.class).hasMessageContaining("line 2");
    }

    @Test
    void profileTableH100() {
        List<MigProfileTableParser.Row> rows = MigProfileTableParser.parse(read(H100, "lgip.txt")).get(0);
        assertThat(rows).extracting(MigProfileTableParser.Row::name)
                .containsExactly("1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb");
        assertThat(rows).extracting(MigProfileTableParser.Row::profileId).containsExactly(19, 20, 15, 14, 9, 5, 0);
        MigProfileTableParser.Row small = rows.getFirst();
        assertThat(small.instancesFree()).isEqualTo(7);
        assertThat(small.instancesTotal()).isEqualTo(7);
        assertThat(small.memoryMiB()).isEqualTo(9984); // 9.75 GiB
        assertThat(small.engines()).containsExactly(Map.entry("SM", 16), Map.entry("DEC", 1), Map.entry("ENC", 0),
                Map.entry("CE", 1), Map.entry("JPEG", 1), Map.entry("OFA", 0));
        MigProfileTableParser.Row me = rows.get(1);
        assertThat(me.instancesTotal()).isEqualTo(1);
        assertThat(me.engines()).containsEntry("OFA", 1);
        MigProfileTableParser.Row full = rows.getLast();
        assertThat(full.memoryMiB()).isEqualTo(81152); // 79.25 GiB
        assertThat(full.engines()).containsEntry("SM", 132).containsEntry("CE", 8).containsEntry("DEC", 7);
        assertThat(rows.get(4).memoryMiB()).isEqualTo(40448); // 3g.40gb, 39.50 GiB
        assertThat(rows.get(4).engines()).containsEntry("SM", 60);
    }

    @Test
    void profileTableH200() {
        List<MigProfileTableParser.Row> rows = MigProfileTableParser.parse(read(H200, "lgip.txt")).get(0);
        assertThat(rows).extracting(MigProfileTableParser.Row::name).containsExactly(
                "1g.18gb", "1g.18gb+me", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb");
        assertThat(rows).extracting(MigProfileTableParser.Row::memoryMiB)
                .containsExactly(16384L, 16384L, 33280L, 33280L, 71424L, 71424L, 143360L);
        assertThat(rows).extracting(MigProfileTableParser.Row::instancesTotal).containsExactly(7, 1, 4, 3, 2, 1, 1);
        assertThat(rows.getLast().engines()).containsEntry("SM", 132).containsEntry("OFA", 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {H100, H200})
    void placementsOfBothModels(String model) {
        Map<Integer, MigPlacement> p = MigPlacementParser.parse(read(model, "lgipp.txt")).get(0);
        assertThat(p).hasSize(7);
        assertThat(p.get(19)).isEqualTo(new MigPlacement(List.of(0, 1, 2, 3, 4, 5, 6), 1));
        assertThat(p.get(20)).isEqualTo(new MigPlacement(List.of(0, 1, 2, 3, 4, 5, 6), 1));
        assertThat(p.get(15)).isEqualTo(new MigPlacement(List.of(0, 2, 4, 6), 2));
        assertThat(p.get(14)).isEqualTo(new MigPlacement(List.of(0, 2, 4), 2));
        assertThat(p.get(9)).isEqualTo(new MigPlacement(List.of(0, 4), 4));
        assertThat(p.get(5)).isEqualTo(new MigPlacement(List.of(0), 4));
        assertThat(p.get(0)).isEqualTo(new MigPlacement(List.of(0), 8));
        assertThat(p.get(15).toString()).isEqualTo("{0,2,4,6}:2");
    }

    @Test
    void joinedProfilesH100() {
        List<MigProfile> profiles = MigProfileTableParser.parseProfiles(read(H100, "lgip.txt"),
                read(H100, "lgipp.txt")).get(0);
        Map<String, String> placements = new LinkedHashMap<>();
        profiles.forEach(p -> placements.put(p.name(), p.placement().toString()));
        assertThat(placements).containsExactly(
                Map.entry("7g.80gb", "{0}:8"),
                Map.entry("4g.40gb", "{0}:4"),
                Map.entry("3g.40gb", "{0,4}:4"),
                Map.entry("2g.20gb", "{0,2,4}:2"),
                Map.entry("1g.20gb", "{0,2,4,6}:2"),
                Map.entry("1g.10gb", "{0,1,2,3,4,5,6}:1"),
                Map.entry("1g.10gb+me", "{0,1,2,3,4,5,6}:1"));
        assertThat(profiles).extracting(MigProfile::computeSlices).containsExactly(7, 4, 3, 2, 1, 1, 1);
        GpuDevice g = QueryGpuCsvParser.parse(read(H100, "query.csv")).getFirst().withMigProfiles(profiles);
        assertThat(g.migMemorySlices()).isEqualTo(8);
        assertThat(g.migComputeSlices()).isEqualTo(7);
    }

    @Test
    void joinedProfilesH200() {
        List<MigProfile> profiles = MigProfileTableParser.parseProfiles(read(H200, "lgip.txt"),
                read(H200, "lgipp.txt")).get(0);
        assertThat(profiles).extracting(p -> p.name() + " " + p.placement()).containsExactly(
                "7g.141gb {0}:8", "4g.71gb {0}:4", "3g.71gb {0,4}:4", "2g.35gb {0,2,4}:2", "1g.35gb {0,2,4,6}:2",
                "1g.18gb {0,1,2,3,4,5,6}:1", "1g.18gb+me {0,1,2,3,4,5,6}:1");
        assertThat(profiles.getFirst().streamingMultiprocessors()).isEqualTo(132);
    }

    @Test
    void profileWithoutPlacementIsLeftOut() {
        String lgipp = read(H100, "lgipp.txt").lines().filter(l -> !l.contains("Profile ID  9 "))
                .reduce("", (a, b) -> a + b + "\n");
        List<MigProfile> profiles = MigProfileTableParser.parseProfiles(read(H100, "lgip.txt"), lgipp).get(0);
        assertThat(profiles).extracting(MigProfile::name).doesNotContain("3g.40gb").hasSize(6);
    }

    @Test
    void parsersTolerateNoise() {
        assertThat(MigProfileTableParser.parse(read(H100, "lgi.txt"))).isEmpty();
        assertThat(MigPlacementParser.parse(read(H200, "lcip.txt"))).isEmpty();
        assertThat(MigProfileTableParser.parse(read(H100, "smi.txt"))).isEmpty();
        String crlf = "Some banner\r\n" + read(H100, "lgip.txt").replace("\n", "\r\n");
        assertThat(MigProfileTableParser.parse(crlf).get(0)).hasSize(7);
        String withCi = read(H100, "lgipp.txt") + "\nGPU  0 GI  1 Profile ID  0 Placements: {0,1,2,3}:1\n";
        assertThat(MigPlacementParser.parse(withCi).get(0)).hasSize(7);
    }

    @Test
    void severalGpusAreKeptApart() {
        String lgip = read(H100, "lgip.txt");
        String lgipp = read(H100, "lgipp.txt");
        String twoLgip = lgip + lgip.replace("|   0  MIG", "|   1  MIG");
        String twoLgipp = lgipp + lgipp.replace("GPU  0", "GPU  1");
        Map<Integer, List<MigProfile>> profiles = MigProfileTableParser.parseProfiles(twoLgip, twoLgipp);
        assertThat(profiles).containsOnlyKeys(0, 1);
        assertThat(profiles.get(1)).hasSize(7);
    }

    @ParameterizedTest
    @ValueSource(strings = {H100, H200})
    void xmlOfBothModels(String model) {
        List<NvidiaSmiXmlParser.GpuXml> gpus = NvidiaSmiXmlParser.parse(read(model, "q.xml"));
        assertThat(gpus).hasSize(1);
        NvidiaSmiXmlParser.GpuXml g = gpus.getFirst();
        GpuDevice csv = QueryGpuCsvParser.parse(read(model, "query.csv")).getFirst();
        assertThat(g.uuid()).isEqualTo(csv.uuid());
        assertThat(g.productName()).isEqualTo(csv.name());
        assertThat(g.pciBusId()).isEqualTo("00000000:00:06.0");
        assertThat(g.memoryTotalMiB()).isEqualTo(csv.memoryTotalMiB());
        assertThat(g.migCurrent()).isEqualTo(MigMode.DISABLED);
        assertThat(g.migPending()).isEqualTo(MigMode.DISABLED);
        assertThat(g.virtualizationMode()).isEqualTo("Pass-Through");
        assertThat(g.hostVgpuMode()).isEqualTo("N/A");
        assertThat(g.driverVersion()).isEqualTo("580.159.04");
        assertThat(g.minorNumber()).isZero();
    }

    @Test
    void xmlReservedMemoryH100() {
        assertThat(NvidiaSmiXmlParser.parse(read(H100, "q.xml")).getFirst().memoryReservedMiB()).isEqualTo(480);
    }

    @Test
    void xmlRefusesExternalEntities() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                + "<nvidia_smi_log><gpu id=\"0\"><product_name>&e;</product_name></gpu></nvidia_smi_log>";
        try {
            List<NvidiaSmiXmlParser.GpuXml> parsed = NvidiaSmiXmlParser.parse(xxe);
            assertThat(parsed.getFirst().productName()).doesNotContain("root");
        } catch (NvidiaSmiParseException expected) {
            assertThat(expected).hasMessageContaining("nvidia-smi -q -x");
        }
    }

    @Test
    void badXmlIsAParseError() {
        assertThatThrownBy(() -> NvidiaSmiXmlParser.parse("<nvidia_smi_log>"))
                .isInstanceOf(NvidiaSmiParseException.class);
    }
}
