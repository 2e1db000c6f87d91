package io.atrium.gateway.rfb;

/**
 * The RFB pixel format of the framebuffer updates the server sends, as far as the gateway needs it to find message
 * boundaries: bytes per pixel, and the size of a Tight {@code TPIXEL}.
 *
 * @param bitsPerPixel 8, 16 or 32
 * @param depth        colour depth
 * @param trueColour   true colour (else a colour map)
 * @param redMax       red maximum
 * @param greenMax     green maximum
 * @param blueMax      blue maximum
 */
record PixelFormat(int bitsPerPixel, int depth, boolean trueColour, int redMax, int greenMax, int blueMax) {

    /** Parses the 16 bytes of an RFB {@code PIXEL_FORMAT} at {@code offset}. */
    static PixelFormat parse(byte[] b, int offset) throws RfbProtocolException {
        int bpp = b[offset] & 0xFF;
        int depth = b[offset + 1] & 0xFF;
        boolean trueColour = b[offset + 3] != 0;
        PixelFormat format = new PixelFormat(bpp, depth, trueColour, RfbStreamParser.u16(b, offset + 4),
                RfbStreamParser.u16(b, offset + 6), RfbStreamParser.u16(b, offset + 8));
        if (bpp != 8 && bpp != 16 && bpp != 32) {
            throw new RfbProtocolException("pixel format with " + bpp + " bits per pixel");
        }
        if (depth < 1 || depth > bpp) {
            throw new RfbProtocolException("pixel format with depth " + depth + " at " + bpp + " bits per pixel");
        }
        return format;
    }

    int bytesPerPixel() {
        return bitsPerPixel / 8;
    }

    /** Tight's compact pixel: 3 bytes for 32-bit true colour of depth 24 with 8 bits per channel, else a pixel. */
    int tightPixelBytes() {
        return bitsPerPixel == 32 && depth == 24 && trueColour && redMax == 255 && greenMax == 255 && blueMax == 255
                ? 3 : bytesPerPixel();
    }
}
