package io.aphelion.fuzz;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A committed seed corpus: {@code src/test/resources/fuzz/<name>.txt}, one case a line,
 * {@code name | field | ... | hex}. The fields say what the case must give (each test reads them
 * its own way); the hex is the input, spaces allowed. {@code #} starts a comment line. Every case
 * runs as a test of its own, and the fuzz tests mutate the cases as seeds.
 */
public final class Corpus {

    /** One case: its name, the fields between name and hex, and the input bytes. */
    public record Case(String name, List<String> fields, byte[] bytes) {

        public String field(int index) {
            return fields.get(index);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private Corpus() {
    }

    /** Reads {@code fuzz/<name>.txt} from the test classpath; fails on a malformed line. */
    public static List<Case> load(String name) {
        String resource = "/fuzz/" + name + ".txt";
        try (InputStream in = Corpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("No corpus " + resource);
            }
            List<Case> cases = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] parts = trimmed.split("\\|", -1);
                if (parts.length < 2) {
                    throw new IllegalStateException(resource + ":" + number + ": expected 'name | ... | hex'");
                }
                List<String> fields = new ArrayList<>();
                for (int i = 1; i < parts.length - 1; i++) {
                    fields.add(parts[i].strip());
                }
                byte[] bytes = HexFormat.of().parseHex(parts[parts.length - 1].replaceAll("\\s+", ""));
                cases.add(new Case(parts[0].strip(), List.copyOf(fields), bytes));
            }
            return List.copyOf(cases);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
