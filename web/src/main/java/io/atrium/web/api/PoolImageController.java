package io.atrium.web.api;

import io.atrium.broker.image.RolloutService;
import io.atrium.web.api.ImageApiModels.CanaryRequest;
import io.atrium.web.api.ImageApiModels.PoolImageResponse;
import io.atrium.web.api.ImageApiModels.PublishRequest;
import io.atrium.web.api.ImageApiModels.RolloutResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A pool's image version over REST ({@code ROLE_ADMIN}, {@link RolloutService}):
 * <ul>
 *   <li>{@code GET /api/pools/{id}/image}: the pinned version, canary, rollout and per desktop the version it runs
 *       and where it is (OLD, NEW, FAILED, CANARY, NOTIFIED, KEPT);</li>
 *   <li>{@code POST /api/pools/{id}/image/publish} {@code {"versionId":…, "mode":"AT_LOGOFF"|"FORCED",
 *       "graceSeconds":…, "batchSize":…}}, {@code POST …/rollback} (same body, no version),
 *       {@code POST …/cancel};</li>
 *   <li>{@code PUT /api/pools/{id}/image/canary} {@code {"versionId":…, "size":N}} ({@code null} version: none).</li>
 * </ul>
 */
@RestController
@RequestMapping("/api/pools/{poolId}/image")
class PoolImageController {
    private final RolloutService rollouts;

    PoolImageController(RolloutService rollouts) {
        this.rollouts = rollouts;
    }

    @GetMapping
    PoolImageResponse status(@PathVariable String poolId) {
        return PoolImageResponse.of(rollouts.status(poolId));
    }

    @PostMapping("/publish")
    RolloutResponse publish(@PathVariable String poolId, @RequestBody(required = false) PublishRequest body) {
        return RolloutResponse.of(rollouts.publish(poolId, body == null ? null : body.toSpec()));
    }

    @PostMapping("/rollback")
    RolloutResponse rollback(@PathVariable String poolId, @RequestBody(required = false) PublishRequest body) {
        return RolloutResponse.of(rollouts.rollback(poolId, body == null ? null : body.toSpec()));
    }

    @PostMapping("/cancel")
    RolloutResponse cancel(@PathVariable String poolId) {
        return RolloutResponse.of(rollouts.cancel(poolId));
    }

    @PutMapping("/canary")
    PoolImageResponse canary(@PathVariable String poolId, @RequestBody(required = false) CanaryRequest body) {
        return PoolImageResponse.of(rollouts.setCanary(poolId, body == null ? null : body.versionId(),
                body == null ? null : body.size()));
    }
}
