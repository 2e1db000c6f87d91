package io.atrium.broker.gpu;

import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The host's GPUs ({@code atrium.vmm.gpu.*}) as one {@link GpuPool}, placing MIG instances best-fit. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GpuProperties.class)
public class GpuConfiguration {
    private static final Logger log = LoggerFactory.getLogger(GpuConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    GpuPool gpuPool(GpuProperties props) {
        GpuPool pool = GpuPool.of(props.toInventory());
        log.info("GPU inventory '{}': {}", props.inventory(), pool.gpus().isEmpty() ? "no GPUs"
                : pool.gpus().stream().map(g -> "GPU " + g.index() + " " + g.name()
                        + (g.simulated() ? " (simulated)" : " (real, " + g.pciBusId() + ")")).toList());
        return pool;
    }
}
