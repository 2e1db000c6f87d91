package io.atrium.gateway.rfb;

/**
 * The stream is not the RFB the gateway accepts (an unknown message, a field out of range, a step out of order).
 * The connection is closed; the message is for the log only and never holds stream contents.
 */
public final class RfbProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    public RfbProtocolException(String message) {
        super(message);
    }
}
