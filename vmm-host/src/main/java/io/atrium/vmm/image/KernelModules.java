package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The kernel modules of an extracted kernel package ({@code lib/modules/<version>/}), and which
 * ones a set of drivers needs. Debian's package ships no {@code modules.dep} (depmod runs at
 * install time), so dependencies are read from each module's ELF {@code .modinfo} section
 * ({@code depends=}); built-in drivers come from {@code modules.builtin}.
 */
final class KernelModules {

    /** A loadable module and the modules it depends on. */
    record Module(String name, Path file, List<String> depends) {
    }

    private final Map<String, Path> modules = new HashMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, Module> parsed = new HashMap<>();

    KernelModules(Path modulesDir) {
        try (Stream<Path> files = Files.walk(modulesDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String fileName = file.getFileName().toString();
                if (fileName.endsWith(".ko")) {
                    modules.put(normalize(fileName.substring(0, fileName.length() - 3)), file);
                } else if (fileName.matches(".*\\.ko\\.(xz|zst|gz)")) {
                    throw new VmmException("compressed kernel module " + file + " is not supported by the image builder");
                }
            }
            Path builtinList = modulesDir.resolve("modules.builtin");
            if (Files.exists(builtinList)) {
                for (String line : Files.readAllLines(builtinList, StandardCharsets.UTF_8)) {
                    String name = Path.of(line.strip()).getFileName().toString();
                    if (name.endsWith(".ko")) {
                        builtin.add(normalize(name.substring(0, name.length() - 3)));
                    }
                }
            }
        } catch (IOException e) {
            throw new VmmException("cannot read kernel modules in " + modulesDir + ": " + e.getMessage(), e);
        }
    }

    boolean isBuiltin(String name) {
        return builtin.contains(normalize(name));
    }

    boolean isModule(String name) {
        return modules.containsKey(normalize(name));
    }

    boolean isAvailable(String name) {
        return isBuiltin(name) || isModule(name);
    }

    /**
     * The loadable modules needed for {@code drivers}, dependencies first (insmod order).
     * Built-in drivers need nothing.
     *
     * @throws VmmException if a driver is neither built in nor a module, or dependencies cycle
     */
    List<Module> resolve(List<String> drivers) {
        LinkedHashSet<String> order = new LinkedHashSet<>();
        for (String driver : drivers) {
            visit(normalize(driver), new LinkedHashSet<>(), order);
        }
        List<Module> result = new ArrayList<>();
        for (String name : order) {
            result.add(module(name));
        }
        return result;
    }

    private void visit(String name, LinkedHashSet<String> path, LinkedHashSet<String> order) {
        if (order.contains(name) || builtin.contains(name)) {
            return;
        }
        if (!modules.containsKey(name)) {
            throw new VmmException("kernel driver '" + name + "' is neither built in nor a module of this kernel");
        }
        if (!path.add(name)) {
            throw new VmmException("kernel module dependency cycle: " + path + " -> " + name);
        }
        for (String dep : module(name).depends()) {
            visit(dep, path, order);
        }
        path.remove(name);
        order.add(name);
    }

    private Module module(String name) {
        return parsed.computeIfAbsent(name, n -> {
            Path file = modules.get(n);
            Map<String, String> info = modinfo(file);
            String depends = info.getOrDefault("depends", "");
            List<String> deps = depends.isBlank() ? List.of()
                    : Stream.of(depends.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                            .map(KernelModules::normalize).toList();
            return new Module(n, file, deps);
        });
    }

    /** The key=value pairs of the {@code .modinfo} section of an ELF64 little-endian module. */
    static Map<String, String> modinfo(Path ko) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(ko);
        } catch (IOException e) {
            throw new VmmException("cannot read kernel module " + ko + ": " + e.getMessage(), e);
        }
        ByteBuffer elf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || elf.getInt(0) != 0x464c457f || bytes[4] != 2 || bytes[5] != 1) {
            throw new VmmException(ko + " is not an ELF64 little-endian kernel module");
        }
        long shoff = elf.getLong(0x28);
        int shentsize = Short.toUnsignedInt(elf.getShort(0x3A));
        int shnum = Short.toUnsignedInt(elf.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(elf.getShort(0x3E));
        long strtabOffset = elf.getLong((int) (shoff + (long) shstrndx * shentsize + 24));
        for (int i = 0; i < shnum; i++) {
            int header = (int) (shoff + (long) i * shentsize);
            int nameOffset = elf.getInt(header);
            String sectionName = cString(bytes, (int) (strtabOffset + nameOffset));
            if (sectionName.equals(".modinfo")) {
                int offset = (int) elf.getLong(header + 24);
                int size = (int) elf.getLong(header + 32);
                Map<String, String> info = new HashMap<>();
                int start = offset;
                for (int p = offset; p < offset + size; p++) {
                    if (bytes[p] == 0) {
                        String entry = new String(bytes, start, p - start, StandardCharsets.UTF_8);
                        int eq = entry.indexOf('=');
                        if (eq > 0) {
                            info.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
                        }
                        start = p + 1;
                    }
                }
                return info;
            }
        }
        throw new VmmException(ko + " has no .modinfo section");
    }

    private static String cString(byte[] bytes, int offset) {
        int end = offset;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.US_ASCII);
    }

    static String normalize(String name) {
        return name.replace('-', '_');
    }
}
