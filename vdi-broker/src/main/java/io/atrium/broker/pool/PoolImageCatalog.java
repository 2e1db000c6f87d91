package io.atrium.broker.pool;

import java.util.List;

/**
 * SPI of pool administration, implemented by the image library: the images a pool may use (those with a version
 * that can be published). Without an implementation only the built-in images are offered.
 */
public interface PoolImageCatalog {

    /** Image names a pool may name, by name. */
    List<String> imageNames();
}
