package io.atrium.web.api;

import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.web.api.ApiModels.DesktopResponse;
import io.atrium.web.api.ApiModels.PoolRequest;
import io.atrium.web.api.ApiModels.PoolResponse;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;

/**
 * Pool administration over REST, with the same services, hence the same authorization ({@code ROLE_ADMIN}) as the
 * admin UI. Errors: missing pool 404, bad input 400 with {@code fields}, pool in use 409 (see {@link ApiErrors}).
 */
@RestController
@RequestMapping("/api/pools")
class PoolController {
    private final PoolAdminService pools;
    private final DesktopAdminService desktops;

    PoolController(PoolAdminService pools, DesktopAdminService desktops) {
        this.pools = pools;
        this.desktops = desktops;
    }

    /** Every pool with its desktop counts. */
    @GetMapping
    List<PoolResponse> list() {
        return desktops.poolStatuses().stream().map(PoolResponse::of).toList();
    }

    /** Creates a pool; its desktops are provisioned in the background. */
    @PostMapping
    ResponseEntity<PoolResponse> create(@RequestBody(required = false) PoolRequest body) {
        Pool pool = pools.create(body == null ? null : body.toSpec());
        return ResponseEntity.created(URI.create("/api/pools/" + pool.id())).body(PoolResponse.of(desktops.poolStatus(pool.id())));
    }

    @GetMapping("/{poolId}")
    PoolResponse get(@PathVariable String poolId) {
        return PoolResponse.of(desktops.poolStatus(pools.get(poolId).id()));
    }

    /** Replaces the pool's settings; it is reconciled to its new size. */
    @PutMapping("/{poolId}")
    PoolResponse update(@PathVariable String poolId, @RequestBody(required = false) PoolRequest body) {
        Pool pool = pools.update(poolId, body == null ? null : body.toSpec());
        return PoolResponse.of(desktops.poolStatus(pool.id()));
    }

    /** Deletes the pool and its desktops; 409 while desktops are assigned unless {@code force=true}. */
    @DeleteMapping("/{poolId}")
    ResponseEntity<Void> delete(@PathVariable String poolId, @RequestParam(defaultValue = "false") boolean force) {
        pools.delete(poolId, force);
        return ResponseEntity.noContent().build();
    }

    /** The pool's live desktops with state, user and reason. */
    @GetMapping("/{poolId}/desktops")
    List<DesktopResponse> desktops(@PathVariable String poolId) {
        return desktops.desktopsOf(poolId).stream().map(DesktopResponse::of).toList();
    }
}
