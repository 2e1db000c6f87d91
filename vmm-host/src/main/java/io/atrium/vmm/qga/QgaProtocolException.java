package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;

/**
 * The guest agent sent something the client does not accept: a frame over the size limit, bytes
 * that are not JSON, a reply with a missing or wrong-typed field, more data than asked for. The
 * guest is untrusted, so this is what a broken or hostile guest gets; the client resynchronises
 * before its next command.
 */
public final class QgaProtocolException extends VmmException {

    public QgaProtocolException(String message) {
        super("guest agent protocol error: " + message);
    }
}
