package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.gpu.GpuOverview;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.gpu.PoolGpuPlan;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuSnapshot;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Arrays;
import java.util.Locale;

/**
 * GPU administration over REST. Authorization is {@link GpuService}'s ({@code ROLE_ADMIN}); errors are
 * {@link BrokerException}s mapped by {@link ApiErrors} (unknown GPU or pool: 404, GPU in use: 409, bad input: 400).
 *
 * <ul>
 *   <li>{@code GET /api/gpus}: every GPU with its slices, holders, what still fits, and the pools with a GPU
 *       profile; each GPU and slice says {@code "simulated": true|false}</li>
 *   <li>{@code POST /api/gpus/{index}/mode} {@code {"mode":"MIG"}} ({@code MIG}, {@code TIME_SLICED},
 *       {@code NONE}): the GPU after the switch</li>
 *   <li>{@code GET /api/pools/{poolId}/gpu}: the pool's profile and plan (placed / wanted / reason)</li>
 *   <li>{@code PUT /api/pools/{poolId}/gpu} {@code {"profile":"1g.10gb"}} or {@code {"profile":null}}</li>
 * </ul>
 */
@RestController
@RequestMapping("/api")
class GpuController {

    /** Body of {@code POST /api/gpus/{index}/mode}. */
    record ModeRequest(String mode) {
    }

    /** Body of {@code PUT /api/pools/{poolId}/gpu}; a null profile takes the GPU away. */
    record ProfileRequest(String profile) {
    }

    private final GpuService gpus;

    GpuController(GpuService gpus) {
        this.gpus = gpus;
    }

    @GetMapping("/gpus")
    GpuOverview gpus() {
        return gpus.overview();
    }

    @PostMapping("/gpus/{index}/mode")
    GpuSnapshot switchMode(@PathVariable int index, @RequestBody(required = false) ModeRequest body) {
        GpuMode mode = parseMode(body == null ? null : body.mode());
        gpus.switchMode(index, mode);
        return gpus.snapshot().gpus().stream().filter(g -> g.index() == index).findFirst()
                .orElseThrow(() -> BrokerException.notFound("GPU " + index));
    }

    @GetMapping("/pools/{poolId}/gpu")
    PoolGpuPlan poolGpu(@PathVariable String poolId) {
        return gpus.poolGpu(poolId);
    }

    @PutMapping("/pools/{poolId}/gpu")
    PoolGpuPlan setPoolGpu(@PathVariable String poolId, @RequestBody(required = false) ProfileRequest body) {
        return gpus.setPoolProfile(poolId, body == null ? null : body.profile());
    }

    private static GpuMode parseMode(String mode) {
        if (mode == null || mode.isBlank()) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "mode is required: one of "
                    + Arrays.toString(GpuMode.values()));
        }
        try {
            return GpuMode.valueOf(mode.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "unknown GPU mode '" + mode + "'; one of "
                    + Arrays.toString(GpuMode.values()));
        }
    }
}
