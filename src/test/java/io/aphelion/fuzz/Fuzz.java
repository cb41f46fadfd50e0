package io.aphelion.fuzz;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A small property runner for the codec fuzz tests: generate an input from a seeded random, check
 * a property on it, and on the first failure shrink the input and fail with everything needed to
 * reproduce it (property, seed, try, input).
 *
 * <p>Bounded and deterministic by default, so CI runs the same inputs every time and never
 * flakes: each property runs its default number of tries from a seed derived from its name. By
 * hand, run it longer or elsewhere in the input space:
 * <pre>
 *   ./mvnw -B -q test -Dtest='*FuzzTest' -Daphelion.fuzz.tries=1000000 -Daphelion.fuzz.seed=random
 * </pre>
 * {@value #TRIES_PROPERTY} sets the tries of every property (the default of each is a few
 * thousand); {@value #SEED_PROPERTY} is a number, or {@code random} for a new seed each run (it is
 * printed, and named in any failure, so the run can be repeated with it).
 *
 * <p>Not thread-safe; one property at a time on the calling thread.
 */
public final class Fuzz {

    /** System property: tries per property, overriding each property's default. */
    public static final String TRIES_PROPERTY = "aphelion.fuzz.tries";
    /** System property: the seed of every property, a number or {@code random}. */
    public static final String SEED_PROPERTY = "aphelion.fuzz.seed";

    /** Property runs spent shrinking a failing input, at most. */
    private static final int MAX_SHRINK_RUNS = 20_000;
    /** Hex characters of an input shown in a failure, at most (the shrunk one is usually short). */
    private static final int MAX_SHOWN_HEX = 4096;

    private Fuzz() {
    }

    /** A property of one input: returns normally when it holds, throws (anything) when it does not. */
    @FunctionalInterface
    public interface Property<T> {
        void check(T input) throws Exception;
    }

    /** A byte input and a number that drives the rest of a try (split points, limits), kept while shrinking. */
    public record Bytes(byte[] bytes, long aux) {

        @Override
        public String toString() {
            return "aux=" + aux + " bytes(" + bytes.length + ")=" + shown(bytes);
        }
    }

    /**
     * Checks a property of byte inputs, shrinking a failing one (dropping chunks, lowering bytes)
     * while it still fails, with the same {@code aux}.
     */
    public static void forAllBytes(String property, int defaultTries, Function<SplittableRandom, byte[]> generator,
            Property<Bytes> check) {
        forAll(property, defaultTries, random -> new Bytes(generator.apply(random), random.nextLong()), Fuzz::shrinkBytes,
                check);
    }

    /**
     * Checks a property of generated inputs.
     *
     * @param property a name for messages and the default seed
     * @param defaultTries tries when {@value #TRIES_PROPERTY} is not set
     * @param generator makes one input from the random of its try
     * @param shrinker smaller candidates for a failing input (may return none)
     * @param check the property
     * @return the number of tries run
     */
    public static <T> int forAll(String property, int defaultTries, Function<SplittableRandom, T> generator,
            Function<T, List<T>> shrinker, Property<T> check) {
        long seed = seed(property);
        int tries = tries(defaultTries);
        SplittableRandom root = new SplittableRandom(seed);
        for (int attempt = 0; attempt < tries; attempt++) {
            T input = generator.apply(root.split());
            Throwable failure = failure(check, input);
            if (failure != null) {
                Shrunk<T> shrunk = shrink(input, failure, shrinker, check);
                AssertionError error = new AssertionError(String.format(
                        "Property '%s' failed at try %d of %d (seed %d: -D%s=%d reproduces it)%n"
                                + "  shrunk input (%d shrink steps): %s%n  first failure: %s%n  shrunk failure: %s%n"
                                + "  original input: %s",
                        property, attempt + 1, tries, seed, SEED_PROPERTY, seed, shrunk.steps, shrunk.input, failure,
                        shrunk.failure, input), shrunk.failure);
                throw error;
            }
        }
        System.out.printf("[fuzz] %s: %d tries passed (seed %d)%n", property, tries, seed);
        return tries;
    }

    /** Runs the property on one input, returning what it threw, or null when it held. */
    public static <T> Throwable failure(Property<T> check, T input) {
        try {
            check.check(input);
            return null;
        }
        catch (Throwable ex) { // any throwable is a finding, errors included
            if (ex instanceof VirtualMachineError && !(ex instanceof OutOfMemoryError) && !(ex instanceof StackOverflowError)) {
                throw (VirtualMachineError) ex;
            }
            return ex;
        }
    }

    private record Shrunk<T>(T input, Throwable failure, int steps) {
    }

    private static <T> Shrunk<T> shrink(T input, Throwable failure, Function<T, List<T>> shrinker, Property<T> check) {
        T current = input;
        Throwable currentFailure = failure;
        int runs = 0;
        int steps = 0;
        boolean progress = true;
        while (progress && runs < MAX_SHRINK_RUNS) {
            progress = false;
            for (T candidate : shrinker.apply(current)) {
                if (++runs > MAX_SHRINK_RUNS) {
                    break;
                }
                Throwable candidateFailure = failure(check, candidate);
                if (candidateFailure != null) {
                    current = candidate;
                    currentFailure = candidateFailure;
                    steps++;
                    progress = true;
                    break;
                }
            }
        }
        return new Shrunk<>(current, currentFailure, steps);
    }

    /** Smaller byte inputs: halves, then chunks of every size down to one byte removed, then bytes lowered. */
    static List<Bytes> shrinkBytes(Bytes input) {
        byte[] bytes = input.bytes();
        List<Bytes> candidates = new ArrayList<>();
        for (int chunk = Math.max(1, bytes.length / 2); chunk >= 1; chunk /= 2) {
            for (int from = 0; from + chunk <= bytes.length; from += chunk) {
                byte[] smaller = new byte[bytes.length - chunk];
                System.arraycopy(bytes, 0, smaller, 0, from);
                System.arraycopy(bytes, from + chunk, smaller, from, bytes.length - from - chunk);
                candidates.add(new Bytes(smaller, input.aux()));
            }
        }
        for (int i = 0; i < bytes.length; i++) {
            int value = bytes[i] & 0xFF;
            if (value != 0) {
                for (int lower : new int[] { 0, value >> 1, value - 1 }) {
                    byte[] lowered = bytes.clone();
                    lowered[i] = (byte) lower;
                    candidates.add(new Bytes(lowered, input.aux()));
                }
            }
        }
        return candidates;
    }

    /** Tries per property: {@value #TRIES_PROPERTY} when set, else the property's default. */
    public static int tries(int defaultTries) {
        String value = System.getProperty(TRIES_PROPERTY);
        return value == null || value.isBlank() ? defaultTries : Integer.parseInt(value.trim());
    }

    /** The seed of a property: {@value #SEED_PROPERTY} when set ({@code random}: a new one, printed), else from its name. */
    public static long seed(String property) {
        String value = System.getProperty(SEED_PROPERTY);
        if (value == null || value.isBlank()) {
            return property.hashCode() * 0x9E3779B97F4A7C15L;
        }
        if (value.trim().equalsIgnoreCase("random")) {
            long seed = new SplittableRandom().nextLong();
            System.out.printf("[fuzz] %s: seed %d%n", property, seed);
            return seed;
        }
        return Long.parseLong(value.trim());
    }

    /** Hex of at most {@link #MAX_SHOWN_HEX} characters. */
    public static String shown(byte[] bytes) {
        String hex = HexFormat.of().formatHex(bytes);
        return hex.length() <= MAX_SHOWN_HEX ? hex : hex.substring(0, MAX_SHOWN_HEX) + "...";
    }
}
