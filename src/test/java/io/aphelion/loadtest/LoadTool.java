package io.aphelion.loadtest;

/**
 * The load generator's command line: drives a running Aphelion server (or anything speaking the
 * transport) with N sessions and prints handshakes/s, round trips/s, RTT and ack-latency
 * percentiles, closes by code and the server's heap per session. Run it with
 * {@code scripts/loadtest.sh [options]}; see {@link LoadOptions#USAGE} and docs/BENCHMARKS.md.
 */
public final class LoadTool {

    private LoadTool() {
    }

    public static void main(String[] args) throws Exception {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        }
        catch (IllegalArgumentException ex) {
            if (!ex.getMessage().isEmpty()) {
                System.err.println(ex.getMessage());
            }
            System.err.println("usage: scripts/loadtest.sh [options]");
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        LoadRun.Result result = new LoadRun(options).run();
        System.out.print(result.report());
        if (result.tokenMismatches() > 0) {
            System.err.printf("[%s] %d resumes came back with another token: the sessions were not relayed to their owner;"
                    + " this run measured the wrong thing%n", options.label, result.tokenMismatches());
            System.exit(3);
        }
        System.exit(result.opened() == options.sessions ? 0 : 1);
    }
}
