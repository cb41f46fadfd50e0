package io.aphelion.docs;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README's Java code compiles against the project as it is, so the README cannot drift from the
 * API. A block that starts with {@code package} is a whole file and is compiled as one. The other
 * blocks are fragments: they are compiled in the order they appear, as the statements of one
 * method (a later fragment may use what an earlier one declared), with the {@link #IMPORTS} a
 * reader would add; the method declares no exception, so a checked one must be handled as in
 * real code.
 */
class ReadmeJavaSnippetsTest {

    private static final Path README = Path.of("README.md");

    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    private static final Pattern PUBLIC_TYPE = Pattern.compile("(?m)^public (?:final )?(?:class|interface|record|enum) (\\w+)");

    /** What README's fragments take as imported. */
    static final String IMPORTS = """
            import java.net.URI;
            import java.time.Duration;

            import com.google.protobuf.InvalidProtocolBufferException;

            import io.aphelion.client.AphelionClient;
            import io.aphelion.client.AphelionConnection;
            import io.aphelion.client.AphelionSession;
            import io.aphelion.proto.game.C2S;
            import io.aphelion.proto.game.ConnectionReady;
            import io.aphelion.proto.game.S2C;
            import io.aphelion.proto.game.TimeRequest;
            import io.aphelion.wire.WireFormat;
            """;

    @Test
    void readmeJavaCompiles(@TempDir Path classes) throws IOException {
        List<String> blocks = javaBlocks(Files.readString(README, StandardCharsets.UTF_8));
        List<JavaFileObject> sources = new ArrayList<>();
        StringBuilder fragments = new StringBuilder();
        for (String block : blocks) {
            Matcher type = PUBLIC_TYPE.matcher(block);
            if (block.startsWith("package ") && type.find()) {
                sources.add(source(block.substring(8, block.indexOf(';')).replace('.', '/') + "/" + type.group(1), block));
            }
            else {
                fragments.append(block);
            }
        }
        sources.add(source("io/aphelion/docs/ReadmeFragments", "package io.aphelion.docs;\n\n" + IMPORTS
                + "\nclass ReadmeFragments {\n\n    void fragments() {\n" + fragments + "    }\n}\n"));

        // The chat room (a whole file) and the Java client's two fragments, at least.
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(3);
        assertThat(sources).hasSizeGreaterThanOrEqualTo(2);
        assertThat(compile(sources, classes)).as("compiler errors in README's Java").isEmpty();
    }

    @Test
    void aFragmentThatThrowsACheckedExceptionInALambdaDoesNotCompile(@TempDir Path classes) {
        // What README once showed: the test must catch this kind of mistake.
        String fragment = """
                AphelionConnection.Listener listener = (connection, payload) -> System.out.println(S2C.parseFrom(payload));
                """;
        JavaFileObject source = source("io/aphelion/docs/ReadmeFragments", "package io.aphelion.docs;\n\n" + IMPORTS
                + "\nclass ReadmeFragments {\n\n    void fragments() {\n" + fragment + "    }\n}\n");

        assertThat(compile(List.of(source), classes)).anyMatch(error -> error.contains("InvalidProtocolBufferException"));
    }

    static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher matcher = JAVA_BLOCK.matcher(markdown);
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }

    /** Compiles against the test class path; returns the errors. */
    private static List<String> compile(List<JavaFileObject> sources, Path classes) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString(),
                "-proc:none", "-Xlint:none");
        compiler.getTask(null, null, diagnostics, options, null, sources).call();
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> diagnostic : diagnostics.getDiagnostics()) {
            if (diagnostic.getKind() == Diagnostic.Kind.ERROR) {
                errors.add(diagnostic.getSource().getName() + ":" + diagnostic.getLineNumber() + ": "
                        + diagnostic.getMessage(Locale.ROOT));
            }
        }
        return errors;
    }

    private static JavaFileObject source(String className, String code) {
        return new SimpleJavaFileObject(URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return code;
            }
        };
    }
}
