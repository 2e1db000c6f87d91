package io.atrium.vmm.network;

import io.atrium.vmm.VmmException;

/** A desktop network mode this host cannot run safely (missing privileges, tools or uplink); retrying will not help. */
public class NetworkUnavailableException extends VmmException {
    public NetworkUnavailableException(String message) {
        super(message);
    }
}
