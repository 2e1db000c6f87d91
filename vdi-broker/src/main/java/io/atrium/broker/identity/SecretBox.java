package io.atrium.broker.identity;

import io.atrium.broker.BrokerProperties;
import org.springframework.stereotype.Component;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Encrypts second-factor secrets before they go into the database (AES-256-GCM, a fresh 96-bit IV each time), so a
 * database dump alone does not give an attacker anyone's authenticator. The key is a file made once with mode 0600
 * ({@link IdentityProperties#secretKeyFile()}, default {@code <atrium.broker.data-dir>/identity.key}); losing it
 * means every user enrols their authenticator again.
 */
@Component
public class SecretBox {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PREFIX = "v1:";
    private final SecretKeySpec key;

    SecretBox(IdentityProperties props, BrokerProperties broker) {
        Path file = props.secretKeyFile() != null ? props.secretKeyFile() : broker.dataDir().resolve("identity.key");
        this.key = new SecretKeySpec(loadOrCreate(file.toAbsolutePath()), "AES");
    }

    private static byte[] loadOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                byte[] k = Files.readAllBytes(file);
                if (k.length != 32) {
                    throw new IllegalStateException(file + " must hold a 32-byte key, it has " + k.length + " bytes");
                }
                return k;
            }
            Files.createDirectories(file.getParent());
            byte[] k = new byte[32];
            RANDOM.nextBytes(k);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(tmp);
            }
            Files.write(tmp, k, StandardOpenOption.TRUNCATE_EXISTING);
            try {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                Files.deleteIfExists(tmp);
                return loadOrCreate(file);
            }
            return k;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the identity key " + file, e);
        }
    }

    public String seal(byte[] plain) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] sealed = c.doFinal(plain);
            byte[] out = Arrays.copyOf(iv, iv.length + sealed.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] open(String sealed) {
        if (sealed == null || !sealed.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a sealed secret");
        }
        try {
            byte[] all = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
            return c.doFinal(all, 12, all.length - 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the secret cannot be opened with this identity key", e);
        }
    }
}
