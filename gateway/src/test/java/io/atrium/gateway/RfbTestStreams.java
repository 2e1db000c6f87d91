package io.atrium.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;

/** Valid RFB client messages for relay tests: what a viewer sends after the handshake. */
final class RfbTestStreams {

    private RfbTestStreams() {
    }

    static byte[] keyEvent(boolean down, int keysym) {
        return ByteBuffer.allocate(8).put((byte) 4).put((byte) (down ? 1 : 0)).putShort((short) 0).putInt(keysym).array();
    }

    static byte[] pointerEvent(int mask, int x, int y) {
        return ByteBuffer.allocate(6).put((byte) 5).put((byte) mask).putShort((short) x).putShort((short) y).array();
    }

    static byte[] updateRequest(boolean incremental, int width, int height) {
        return ByteBuffer.allocate(10).put((byte) 3).put((byte) (incremental ? 1 : 0)).putShort((short) 0)
                .putShort((short) 0).putShort((short) width).putShort((short) height).array();
    }

    static byte[] qemuKeyEvent(boolean down, int keysym, int scancode) {
        return ByteBuffer.allocate(12).put((byte) 255).put((byte) 0).putShort((short) (down ? 1 : 0)).putInt(keysym)
                .putInt(scancode).array();
    }

    static byte[] setDesktopSize(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(24).put((byte) 251).put((byte) 0).putShort((short) width)
                .putShort((short) height).put((byte) 1).put((byte) 0);
        b.putInt(0).putShort((short) 0).putShort((short) 0).putShort((short) width).putShort((short) height).putInt(0);
        return b.array();
    }

    /** At least {@code bytes} bytes of random key, pointer, update-request, QEMU key and desktop-size messages. */
    static byte[] clientMessages(int bytes, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 64);
        while (out.size() < bytes) {
            out.writeBytes(switch (random.nextInt(5)) {
                case 0 -> keyEvent(random.nextBoolean(), random.nextInt());
                case 1 -> pointerEvent(random.nextInt(128), random.nextInt(65536), random.nextInt(65536));
                case 2 -> updateRequest(random.nextBoolean(), 1 + random.nextInt(4000), 1 + random.nextInt(4000));
                case 3 -> qemuKeyEvent(random.nextBoolean(), random.nextInt(), random.nextInt(256));
                default -> setDesktopSize(1 + random.nextInt(8192), 1 + random.nextInt(8192));
            });
        }
        return out.toByteArray();
    }
}
