package io.atrium.web.api;

import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.broker.transfer.TransferPolicyService.TransferPolicyInput;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A pool's transfer policy over REST (administrators; {@link TransferPolicyService} checks {@code ROLE_ADMIN}).
 *
 * <ul>
 *   <li>{@code GET /api/pools/{poolId}/transfer-policy}: {@code {"clipboard":"BOTH","clipboardMaxBytes":262144,
 *       "files":"BOTH","fileMaxBytes":67108864}} (the defaults when the pool has none of its own)</li>
 *   <li>{@code PUT /api/pools/{poolId}/transfer-policy} with the same body: the stored policy; 400 with
 *       {@code fields} for bad values, 404 for an unknown pool</li>
 * </ul>
 */
@RestController
@RequestMapping("/api/pools/{poolId}/transfer-policy")
class TransferPolicyController {

    private final TransferPolicyService policies;

    TransferPolicyController(TransferPolicyService policies) {
        this.policies = policies;
    }

    @GetMapping
    TransferPolicy get(@PathVariable String poolId) {
        return policies.policy(poolId);
    }

    @PutMapping
    TransferPolicy put(@PathVariable String poolId, @RequestBody(required = false) TransferPolicyInput body) {
        if (body == null) {
            throw io.atrium.broker.InvalidInputException.of("policy", "is required");
        }
        return policies.update(poolId, body);
    }
}
