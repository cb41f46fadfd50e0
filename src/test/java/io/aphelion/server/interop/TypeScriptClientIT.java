package io.aphelion.server.interop;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.aphelion.server.testing.BuildOutput;
import io.aphelion.server.testing.NodeProcess;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TypeScript client {@code clients/js} (npm package {@code aphelion-client}), checked as CI
 * would check a package of its own: a clean {@code npm ci}, the build, and its whole Vitest suite
 * (unit tests over a fake WebSocket, end-to-end tests from Node.js and from headless Chromium
 * against the jar that {@code package} just made); then {@code npm pack}, the tarball installed
 * in a scratch project, imported from Node.js and compiled against from TypeScript.
 *
 * <p>Needs Node.js 20+, npm and Debian's {@code chromium} ({@code .ci/run} installs them); fails
 * without, never skips.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TypeScriptClientIT {

    private static final File PACKAGE = BuildOutput.projectDir().resolve("clients/js").toFile();

    private static final Duration INSTALL = Duration.ofMinutes(5);

    /** The whole suite: two server JVM starts and a restart, a browser, on a loaded 2-core machine. */
    private static final Duration SUITE = Duration.ofMinutes(8);

    /** Vitest's summary lines, e.g. {@code Test Files  9 passed (9)} and {@code Tests  120 passed (120)}. */
    private static final Pattern FILES = Pattern.compile("^\\s*Test Files\\s+(.+?)\\s+\\((\\d+)\\)\\s*$", Pattern.MULTILINE);

    private static final Pattern TESTS = Pattern.compile("^\\s*Tests\\s+(.+?)\\s+\\((\\d+)\\)\\s*$", Pattern.MULTILINE);

    private static Path scratch;

    @BeforeAll
    static void installAndBuild() throws Exception {
        NodeProcess.run(PACKAGE, INSTALL, List.of("npm", "ci", "--no-audit", "--no-fund"));
        NodeProcess.run(PACKAGE, INSTALL, List.of("npm", "run", "build"));
        scratch = Files.createTempDirectory("aphelion-client-pack-");
    }

    @AfterAll
    static void removeScratch() throws IOException {
        if (scratch != null) {
            try (Stream<Path> files = Files.walk(scratch)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    @Order(1)
    void vitestSuitePassesAgainstThePackagedJar() throws Exception {
        String output = NodeProcess.run(PACKAGE, SUITE, Map.of("APHELION_JAR", BuildOutput.runnableJar().toString(), "CI", "true"),
                List.of("npm", "test"));
        System.out.println(output); // into the failsafe report's output file

        int files = allPassed(FILES, output, "test files");
        int tests = allPassed(TESTS, output, "tests");
        assertThat(files).as("test files run").isGreaterThanOrEqualTo(3);
        assertThat(tests).as("tests run").isGreaterThan(0);
        assertThat(output).as("the unit, Node.js and browser test files all ran")
                .contains("test/unit/connection.test.ts", "test/unit/session.test.ts", "test/e2e/node.test.ts",
                        "test/e2e/browser.test.ts");
    }

    @Test
    @Order(2)
    void packedTarballInstallsImportsAndTypeChecks() throws Exception {
        NodeProcess.run(PACKAGE, INSTALL, List.of("npm", "pack", "--pack-destination", scratch.toString()));
        Path tarball;
        try (Stream<Path> files = Files.list(scratch)) {
            List<Path> tarballs = files.filter(file -> file.getFileName().toString().endsWith(".tgz")).toList();
            assertThat(tarballs).as("tarballs npm pack wrote").hasSize(1);
            tarball = tarballs.get(0);
        }
        Path consumer = Files.createDirectory(scratch.resolve("consumer"));
        Files.writeString(consumer.resolve("package.json"), """
                { "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }
                """);
        NodeProcess.run(consumer.toFile(), INSTALL,
                List.of("npm", "install", "--no-audit", "--no-fund", "--prefer-offline", tarball.toString()));

        Path installed = consumer.resolve("node_modules/aphelion-client");
        assertThat(installed.resolve("dist/index.js")).exists();
        assertThat(installed.resolve("dist/index.d.ts")).exists();
        assertThat(installed.resolve("test")).doesNotExist();
        assertThat(installed.resolve("node_modules")).doesNotExist();

        Files.writeString(consumer.resolve("check.mjs"), """
                import { AphelionClient, AphelionSession, AphelionHandshakeError, CloseCodes, game, gameCodec, ping }
                    from "aphelion-client";
                const client = new AphelionClient("ws://127.0.0.1:1/aphelion", { protocol: 1, version: 1, WebSocket: class {} });
                const bytes = gameCodec.encode({ sendLocalChat: [{ message: "hi" }] });
                console.log(JSON.stringify({
                  client: client.protocol,
                  session: typeof AphelionSession.open,
                  error: new AphelionHandshakeError(4000, "x").code,
                  fourThousandFive: CloseCodes.NEW_SESSION_CLOSING_OLD,
                  chat: Buffer.from(bytes).toString("hex"),
                  schemas: [game.C2SSchema.typeName, ping.S2CSchema.typeName],
                }));
                """);
        String imported = NodeProcess.run(consumer.toFile(), INSTALL, List.of("node", "check.mjs"));
        assertThat(imported).contains("\"client\":1", "\"session\":\"function\"", "\"error\":4000",
                "\"fourThousandFive\":4005", "\"chat\":\"c20c040a026869\"",
                "\"schemas\":[\"aphelion.game.C2S\",\"aphelion.ping.S2C\"]");

        Files.writeString(consumer.resolve("check.ts"), """
                import { AphelionClient, AphelionSession, gameCodec, type AphelionConnection } from "aphelion-client";
                export async function play(url: string): Promise<number> {
                  const client = new AphelionClient(url, { protocol: 2, version: 1 });
                  const session = await AphelionSession.open(client, {
                    connections: 2,
                    onMessage: gameCodec.handler((s2c, connection: AphelionConnection) => void s2c.localChatMessage[0]?.sender),
                    onNewSession: (token: Uint8Array) => void token.length,
                  });
                  const sent: boolean = gameCodec.send(session, { authenticate: [{ nickname: "typed" }] });
                  const conn = await client.connect({ token: session.token, onMessage: (payload: Uint8Array) => void payload });
                  conn.send(new Uint8Array(0));
                  await conn.close(1000, "bye");
                  await session.close();
                  return sent && conn.isNewSession ? 1 : 0;
                }
                """);
        String tsc = new File(PACKAGE, "node_modules/typescript/bin/tsc").getAbsolutePath();
        NodeProcess.run(consumer.toFile(), INSTALL, List.of("node", tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022",
                "--module", "nodenext", "--moduleResolution", "nodenext", "check.ts"));
    }

    /** Finds a Vitest summary line and checks that everything in it passed; returns the count. */
    private static int allPassed(Pattern summary, String output, String what) {
        Matcher matcher = summary.matcher(output);
        assertThat(matcher.find()).as("Vitest's summary of %s in:%n%s", what, output).isTrue();
        int total = Integer.parseInt(matcher.group(2));
        assertThat(matcher.group(1)).as("Vitest's summary of %s", what).isEqualTo(total + " passed");
        return total;
    }


}
