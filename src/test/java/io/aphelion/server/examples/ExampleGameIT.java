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
 * classifier) of this build is installed into the local Maven repository, the Java client
 * ({@code clients/java}, JDK only, sharing the server's wire codec) is built, tested and installed,
 * then the example game ({@code examples/game}: its own Maven build and {@code .proto}, the server
 * as one dependency, its tests playing through the Java client) builds and passes its tests. Runs
 * after {@code package}, in {@code verify}.
 */
class ExampleGameIT {

    @Test
    void exampleGameBuildsAndPassesItsTestsAgainstThisBuildsLibrary() throws Exception {
        Path library = BuildOutput.libraryJar();

        run("install", List.of("./mvnw", "-B", "install:install-file", "-Dfile=" + library, "-DpomFile=pom.xml"));
        String client = run("client", List.of("./mvnw", "-B", "-f", "clients/java/pom.xml", "install"));
        String output = run("example", List.of("./mvnw", "-B", "-f", "examples/game/pom.xml", "verify"));

        assertThat(client).as("the Java client's own tests").contains("Tests run: 3, Failures: 0, Errors: 0, Skipped: 0");
        assertThat(output).contains("Tests run: 3, Failures: 0, Errors: 0, Skipped: 0").contains("BUILD SUCCESS");
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
