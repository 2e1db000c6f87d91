package io.atrium.gateway.rfb;

import io.atrium.gateway.ClipboardTransfer;

/** Receives the clipboard transfers a parser saw, on the thread that fed it. Must not block. */
@FunctionalInterface
public interface ClipboardEvents {

    void transfer(ClipboardTransfer transfer);
}
