package io.aphelion.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Byte inputs for fuzzing: random bytes, and seed inputs mutated the way coverage-blind fuzzers do
 * (bit flips, boundary bytes, inserted, deleted and repeated runs, splices of two seeds). Pure
 * functions of the random they are given.
 */
public final class Mutations {

    /** Bytes that sit on the boundaries of length fields, flags and opcodes. */
    private static final int[] INTERESTING = { 0x00, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x0f, 0x10, 0x40, 0x70, 0x7d, 0x7e, 0x7f,
            0x80, 0x81, 0x82, 0x88, 0xfe, 0xff };

    private Mutations() {
    }

    /** Random bytes, short lengths most often (0 and 1 included), up to {@code maxLength}. */
    public static byte[] randomBytes(SplittableRandom random, int maxLength) {
        int length = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(Math.min(maxLength, 4) + 1);
            case 1 -> random.nextInt(Math.min(maxLength, 64) + 1);
            default -> random.nextInt(maxLength + 1);
        };
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** One of the seeds with 1..4 mutations applied, capped at {@code maxLength} bytes. */
    public static byte[] mutate(SplittableRandom random, List<byte[]> seeds, int maxLength) {
        byte[] bytes = seeds.get(random.nextInt(seeds.size())).clone();
        int rounds = 1 + random.nextInt(4);
        for (int i = 0; i < rounds; i++) {
            bytes = mutateOnce(random, bytes, seeds);
        }
        return bytes.length <= maxLength ? bytes : Arrays.copyOf(bytes, maxLength);
    }

    private static byte[] mutateOnce(SplittableRandom random, byte[] bytes, List<byte[]> seeds) {
        int kind = random.nextInt(bytes.length == 0 ? 2 : 8);
        switch (kind) {
            case 0 -> { // insert random bytes
                byte[] inserted = new byte[1 + random.nextInt(8)];
                random.nextBytes(inserted);
                return splice(bytes, random.nextInt(bytes.length + 1), 0, inserted);
            }
            case 1 -> { // append another seed (two frames, two packets)
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                return splice(bytes, bytes.length, 0, other);
            }
            case 2 -> { // flip a bit
                byte[] flipped = bytes.clone();
                int at = random.nextInt(flipped.length);
                flipped[at] ^= (byte) (1 << random.nextInt(8));
                return flipped;
            }
            case 3 -> { // a boundary byte
                byte[] set = bytes.clone();
                set[random.nextInt(set.length)] = (byte) INTERESTING[random.nextInt(INTERESTING.length)];
                return set;
            }
            case 4 -> { // a random byte
                byte[] set = bytes.clone();
                set[random.nextInt(set.length)] = (byte) random.nextInt(256);
                return set;
            }
            case 5 -> { // delete a run
                int from = random.nextInt(bytes.length);
                int length = 1 + random.nextInt(Math.min(8, bytes.length - from));
                return splice(bytes, from, length, new byte[0]);
            }
            case 6 -> { // repeat a run
                int from = random.nextInt(bytes.length);
                int length = 1 + random.nextInt(Math.min(16, bytes.length - from));
                byte[] run = Arrays.copyOfRange(bytes, from, from + length);
                return splice(bytes, from, 0, run);
            }
            default -> { // cut the end off
                return Arrays.copyOf(bytes, random.nextInt(bytes.length));
            }
        }
    }

    /** {@code bytes} with {@code removed} bytes at {@code at} replaced by {@code inserted}. */
    private static byte[] splice(byte[] bytes, int at, int removed, byte[] inserted) {
        byte[] result = new byte[bytes.length - removed + inserted.length];
        System.arraycopy(bytes, 0, result, 0, at);
        System.arraycopy(inserted, 0, result, at, inserted.length);
        System.arraycopy(bytes, at + removed, result, at + inserted.length, bytes.length - at - removed);
        return result;
    }
}
