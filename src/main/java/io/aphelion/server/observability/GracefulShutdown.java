package io.aphelion.server.observability;

import java.time.Duration;

import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.wire.CloseCodes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Ends every session before the web server stops, so that clients see 1001 rather than a dropped
 * socket (1006), and the game hears {@code sessionEnded(SHUTDOWN)} for each session; in cluster
 * mode with other nodes up, hands the sessions over to them first ({@link SessionHandover}: their
 * clients get 1001 too and resume elsewhere, the game hears {@code sessionDeparted} instead).
 *
 * <p>On stop: stop admitting websockets (health goes OUT_OF_SERVICE, new upgrades are closed with
 * 1001), end every session with {@link SessionEndReason#SHUTDOWN} (its connections close with
 * 1001), close the websockets still waiting for their init packet with 1001, then wait up to
 * {@code aphelion.shutdown.timeout} for the close handshakes to finish. The web server's own
 * graceful shutdown and stop come after (their phases are lower).
 *
 * <p>Threads: {@link #start()} and {@link #stop()} are called by the context, one at a time.
 */
public final class GracefulShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

    /** Stops before the web server's graceful shutdown (and so before the web server). */
    public static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;

    static final String REASON = OpenWebSockets.SHUTTING_DOWN_REASON;

    private final SessionRegistry sessions;
    private final OpenWebSockets webSockets;
    private final Duration timeout;
    private final SessionHandover handover;

    private volatile boolean running;

    public GracefulShutdown(SessionRegistry sessions, OpenWebSockets webSockets, Duration timeout) {
        this(sessions, webSockets, timeout, SessionHandover.NONE);
    }

    /** @param handover where sessions go instead of ending (cluster mode: the other nodes), {@link SessionHandover#NONE} */
    public GracefulShutdown(SessionRegistry sessions, OpenWebSockets webSockets, Duration timeout, SessionHandover handover) {
        this.sessions = sessions;
        this.webSockets = webSockets;
        this.timeout = timeout;
        this.handover = handover;
    }

    /** Admits websockets: at start-up, and again when a stopped context is restarted. */
    @Override
    public void start() {
        webSockets.startAdmitting();
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        webSockets.stopAdmitting();
        int open = webSockets.count();
        int handedOver = handover.handOverAll();
        if (handedOver > 0) {
            log.info("Shutting down: handed {} sessions over to the other nodes of the cluster", handedOver);
        }
        int ended = sessions.closeAll(SessionEndReason.SHUTDOWN, REASON);
        // Websockets that had not sent their init packet have no session: close them too.
        webSockets.closeAll(CloseCodes.GOING_AWAY, REASON);
        log.info("Shutting down: ended {} sessions, closing {} websockets with 1001 (waiting up to {} ms)",
                ended, open, timeout.toMillis());
        try {
            if (!webSockets.awaitClosed(timeout)) {
                log.warn("{} websockets still open after {} ms; the web server stops them", webSockets.count(),
                        timeout.toMillis());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        // A client whose init packet raced with the first pass got a session after it: end it too.
        sessions.closeAll(SessionEndReason.SHUTDOWN, REASON);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
