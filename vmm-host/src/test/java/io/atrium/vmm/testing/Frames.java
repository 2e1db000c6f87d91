package io.atrium.vmm.testing;

import io.atrium.vmm.qemu.QemuVm;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/** Recognizes the guests' own screens in QMP screendumps ("first guest frame"). */
public final class Frames {

    private Frames() {
    }

    /** The console guest's prompt: at least 500 pixels of the blue {@code atrium@<host>} segment. */
    public static boolean isConsolePrompt(BufferedImage image) {
        return count(image, Frames::isBlue) > 500;
    }

    /**
     * The X desktop: a graphics mode of at least 1024x768 (the VGA text console is 720x400) where
     * the jwm/xsetroot background colour #1d4e89 covers a fifth of the screen and something else
     * (the xterm window, the tray) covers another tenth.
     */
    public static boolean isXDesktop(BufferedImage image) {
        if (image.getWidth() < 1024 || image.getHeight() < 700) {
            return false;
        }
        int total = image.getWidth() * image.getHeight();
        int background = count(image, rgb -> near(rgb, 0x1d, 0x4e, 0x89));
        int dark = count(image, rgb -> near(rgb, 0x10, 0x10, 0x10));
        return background > total / 5 && dark > total / 10;
    }

    /** Polls screendumps (every {@code pollMs}) until one matches; returns the elapsed nanos. */
    public static long awaitFrame(QemuVm vm, Path png, Predicate<BufferedImage> check, Duration timeout, long pollMs) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        String last = "no screendump";
        while (true) {
            if (vm.isRunning()) {
                vm.screendump(png);
                try {
                    BufferedImage image = ImageIO.read(png.toFile());
                    last = image == null ? "unreadable PNG" : describe(image);
                    if (image != null && check.test(image)) {
                        return System.nanoTime() - start;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (System.nanoTime() > deadline || !vm.isRunning()) {
                throw new AssertionError("VM " + vm.name() + ": the expected screen did not appear within "
                        + timeout.toMillis() + " ms; last screendump " + png + ": " + last);
            }
            try {
                Thread.sleep(pollMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Size and the most telling colour counts, for failure messages. */
    public static String describe(BufferedImage image) {
        return image.getWidth() + "x" + image.getHeight() + ", blue " + count(image, Frames::isBlue)
                + ", x-background " + count(image, rgb -> near(rgb, 0x1d, 0x4e, 0x89))
                + ", x-terminal " + count(image, rgb -> near(rgb, 0x10, 0x10, 0x10))
                + ", centre pixel " + Integer.toHexString(image.getRGB(image.getWidth() / 2, image.getHeight() / 2));
    }

    public static int count(BufferedImage image, java.util.function.IntPredicate color) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (color.test(image.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return n;
    }

    static boolean isBlue(int rgb) {
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        return b > 120 && r < 60 && g < 60;
    }

    private static boolean near(int rgb, int r, int g, int b) {
        return Math.abs(((rgb >> 16) & 0xff) - r) < 12 && Math.abs(((rgb >> 8) & 0xff) - g) < 12
                && Math.abs((rgb & 0xff) - b) < 12;
    }
}
