package io.aphelion.loadtest;

/**
 * The soak's command line: drives a running server for a bounded time with acking game clients
 * that chat, drop connections and resume, plus slow readers and ping flooders, then prints what
 * was sent, received, lost, duplicated and reordered, and exits 1 on any loss. Run it with
 * {@code scripts/soak.sh [options]}; see {@link SoakOptions#USAGE} and {@link SoakRun}.
 */
public final class Soak {

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        SoakOptions options;
        try {
            options = SoakOptions.parse(args);
        }
        catch (IllegalArgumentException ex) {
            if (!ex.getMessage().isEmpty()) {
                System.err.println(ex.getMessage());
            }
            System.err.println("usage: scripts/soak.sh [options]");
            System.err.print(SoakOptions.USAGE);
            System.exit(2);
            return;
        }
        SoakRun.Result result = new SoakRun(options).run();
        System.out.print(result.report());
        System.exit(result.passed() ? 0 : 1);
    }
}
