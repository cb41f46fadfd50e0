package io.aphelion.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code package} left in this build's output folder, for the tests that run after it
 * (failsafe's {@code *IT}): the folder is the parent of {@code test-classes} ({@code target} by
 * default, or {@code -Daphelion.build.dir}).
 */
public final class BuildOutput {

    private BuildOutput() {
    }

    /** The project's top level (failsafe runs in it and passes it as {@code basedir}). */
    public static Path projectDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /** This build's output folder. */
    public static Path buildDir() {
        try {
            return Path.of(BuildOutput.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent()
                    .toAbsolutePath();
        }
        catch (URISyntaxException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The runnable server jar (the {@code exec} classifier: the one with a {@code Start-Class}). */
    public static Path runnableJar() {
        return onlyJar(true, "the runnable server jar");
    }

    /** The library jar, the main artifact a game depends on (no {@code Start-Class}). */
    public static Path libraryJar() {
        return onlyJar(false, "the server's library jar");
    }

    private static Path onlyJar(boolean runnable, String what) {
        Path dir = buildDir();
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> jars = files.filter(file -> {
                String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
                return name.startsWith("aphelion-server-") && name.endsWith(".jar") && isRunnable(file) == runnable;
            }).toList();
            assertThat(jars).as("%s in %s (run `./mvnw package` first)", what, dir).hasSize(1);
            return jars.get(0);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot list " + dir, ex);
        }
    }

    private static boolean isRunnable(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return manifest != null && manifest.getMainAttributes().getValue("Start-Class") != null;
        }
        catch (IOException ex) {
            return false;
        }
    }
}
