package io.aphelion.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a local process has used (user + system, all threads) from {@code /proc/<pid>/stat}.
 * CPU per handshake and per round trip hold up on a busy machine where rates do not: divide the
 * cores by it for the rate an idle machine would reach.
 */
final class ServerCpu {

    /** Clock ticks per second of {@code /proc} times ({@code getconf CLK_TCK}; 100 on Linux). */
    private static final long TICKS_PER_SECOND = 100;

    private ServerCpu() {
    }

    /** CPU nanoseconds used by these processes together, or -1 when one of them is unknown. */
    static long nanos(long[] pids) {
        long sum = 0;
        for (long pid : pids) {
            long nanos = nanos(pid);
            if (nanos < 0) {
                return -1;
            }
            sum += nanos;
        }
        return sum;
    }

    /** CPU nanoseconds used by the process, or -1 when unknown (no pid, not Linux). */
    static long nanos(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command name (which may hold spaces) start after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        }
        catch (IOException | RuntimeException ex) {
            return -1;
        }
    }
}
