package io.aphelion.server.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.testing.BuildOutput;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The artifacts a game developer depends on, used as they would be: the server's library jar (no
 * classifier) of this build is installed into a Maven repository of this build's own, the Java client
 * ({@code clients/java}, JDK only, sharing the server's wire codec) is built, tested and installed,
 * then the example game ({@code examples/game}: its own Maven build and {@code .proto}, the server
 * as one dependency, its tests playing through the Java client) builds and passes its tests. Runs
 * after {@code package}, in {@code verify}.
 */
class ExampleGameIT {

    @Test
    void exampleGameBuildsAndPassesItsTestsAgainstThisBuildsLibrary() throws Exception {
        Path library = BuildOutput.libraryJar();

        run("install", maven("install:install-file", "-Dfile=" + library, "-DpomFile=pom.xml"));
        String client = run("client", maven("-f", "clients/java/pom.xml", "install"));
        String output = run("example", maven("-f", "examples/game/pom.xml", "verify"));

        assertThat(client).as("the Java client's own tests").contains("Tests run: 3, Failures: 0, Errors: 0, Skipped: 0");
        assertThat(output).contains("Tests run: 3, Failures: 0, Errors: 0, Skipped: 0").contains("BUILD SUCCESS");
    }

    /**
     * A Maven run of the repository's wrapper that installs into a repository of this build's own
     * ({@code it-repo} in the build folder) and reads everything else from the developer's local
     * repository behind it ({@code maven.repo.local.tail}): the test command never replaces the
     * SNAPSHOTs a developer's own game builds against, and downloads nothing twice.
     */
    private static List<String> maven(String... arguments) {
        String outer = System.getProperty("aphelion.outer.repo", "");
        if (outer.isBlank() || outer.contains("${")) {
            outer = Path.of(System.getProperty("user.home"), ".m2", "repository").toString();
        }
        List<String> command = new ArrayList<>(List.of("./mvnw", "-B",
                "-Dmaven.repo.local=" + BuildOutput.buildDir().resolve("it-repo"), "-Dmaven.repo.local.tail=" + outer));
        command.addAll(List.of(arguments));
        return command;
    }

    private static String run(String name, List<String> command) throws IOException, InterruptedException {
        Path log = BuildOutput.buildDir().resolve("example-game-" + name + ".log");
        List<String> full = new ArrayList<>(command);
        Process process = new ProcessBuilder(full).directory(BuildOutput.projectDir().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean exited = process.waitFor(10, TimeUnit.MINUTES);
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (!exited) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 10 minutes: " + tail(output));
        }
        assertThat(process.exitValue()).as("%s exited with; output: %s", command, tail(output)).isZero();
        return output;
    }

    private static String tail(String output) {
        return output.length() <= 6000 ? output : output.substring(output.length() - 6000);
    }

}
