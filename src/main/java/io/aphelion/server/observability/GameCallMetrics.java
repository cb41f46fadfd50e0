package io.aphelion.server.observability;

/**
 * Timings of the application's {@code GameMessageService} calls, reported by
 * {@link ObservedGameService}. Called from the game pool's threads (or the reading thread
 * of a service that never blocks): implementations must be thread-safe, cheap and never throw.
 */
@FunctionalInterface
public interface GameCallMetrics {

    /** Reports nothing. */
    GameCallMetrics NONE = (method, nanos, failed) -> {
    };

    /** The methods of {@code GameMessageService} that are timed; {@link #tag()} is the method's name. */
    enum Method {
        ON_MESSAGE("onMessage"),
        SESSION_STARTED("sessionStarted"),
        CONNECTION_ADDED("connectionAdded"),
        CONNECTION_LOST("connectionLost"),
        SESSION_RESUMED("sessionResumed"),
        SESSION_ENDED("sessionEnded"),
        SESSION_ARRIVED("sessionArrived"),
        SESSION_DEPARTED("sessionDeparted");

        private final String tag;

        Method(String tag) {
            this.tag = tag;
        }

        /** The method's name, as the {@code method} tag shows it. */
        public String tag() {
            return tag;
        }
    }

    /**
     * A call returned or threw.
     *
     * @param nanos how long it ran
     * @param failed whether it threw
     */
    void called(Method method, long nanos, boolean failed);
}
