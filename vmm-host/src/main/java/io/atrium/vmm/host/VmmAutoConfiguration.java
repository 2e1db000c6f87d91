package io.atrium.vmm.host;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.network.HostNetworks;
import io.atrium.vmm.network.NetworkProperties;
import io.atrium.vmm.api.ImageHost;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.library.LibraryProperties;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Spring Boot auto-configuration of the VMM host: binds {@link VmmProperties} ({@code atrium.vmm.*})
 * and exposes {@link AcceleratorProbe}, the {@link ResolvedAccelerator}, {@link GuestImages},
 * {@link QemuLauncher}, the {@link VmmHost} facade and this host's {@link MachineHost} (a {@link LocalMachineHost}
 * with the id {@code atrium.vmm.host-id}). Creating the launcher kills orphaned QEMU processes (unless
 * {@code atrium.vmm.keep-vms-on-exit}); closing the context kills the VMs (the launcher's close), or, when a broker
 * uses the machine host, the broker releases it first ({@link MachineHost#release()}).
 */
@AutoConfiguration
@EnableConfigurationProperties({VmmProperties.class, NetworkProperties.class, LibraryProperties.class})
public class VmmAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    AcceleratorProbe acceleratorProbe() {
        return new AcceleratorProbe();
    }

    @Bean
    @ConditionalOnMissingBean
    ResolvedAccelerator resolvedAccelerator(AcceleratorProbe probe, VmmProperties properties) {
        return probe.resolve(properties.accel());
    }

    @Bean
    @ConditionalOnMissingBean
    GuestImages guestImages(VmmProperties properties) {
        return new GuestImages(properties);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    QemuLauncher qemuLauncher(VmmProperties properties) {
        return new QemuLauncher(properties);
    }

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    VmmHost vmmHost(VmmProperties properties, ResolvedAccelerator accelerator, GuestImages images,
            QemuLauncher launcher, LibraryProperties library) {
        return new VmmHost(properties, accelerator, images, launcher, library);
    }

    /** The image library's work on this host (staging, validation, drafts, boot tests). */
    @Bean
    @ConditionalOnMissingBean(ImageHost.class)
    LocalImageHost imageHost(VmmHost host) {
        return new LocalImageHost(host);
    }

    /**
     * Desktop networks ({@code atrium.vmm.network.*}); probes this process's privileges at start and logs what is
     * available. Removing them is the machine host's release (without keep-vms-on-exit), not the context's close.
     * Not made when the application brings its own machine host.
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean({HostNetworks.class, MachineHost.class})
    HostNetworks hostNetworks(VmmProperties properties, NetworkProperties network) {
        return new HostNetworks(properties, network);
    }

    /** The machines of this host; its user (the broker) calls {@link MachineHost#release()} when it stops. */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(MachineHost.class)
    LocalMachineHost machineHost(VmmHost host, HostNetworks networks) {
        return new LocalMachineHost(host, networks);
    }
}
