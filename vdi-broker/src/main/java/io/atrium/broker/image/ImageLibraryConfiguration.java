package io.atrium.broker.image;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Wires the image library's settings. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ImageLibraryProperties.class)
class ImageLibraryConfiguration {
}
