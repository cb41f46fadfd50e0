package io.aphelion.server.observability;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;

import io.aphelion.server.observability.GameCallMetrics.Method;
import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.SessionEndReason;

import org.slf4j.MDC;

/**
 * The application's {@link GameService} with what operators need around each call: the
 * session's id in the logging context ({@value #MDC_SESSION_KEY}) while the call runs, so that
 * everything the game logs for a session can be found by its id, and the call's duration and
 * outcome for {@link GameCallMetrics}. Every method is delegated, {@link #c2sParser()} and
 * {@link #mayBlock()} included.
 *
 * <p>The MDC value is set on the calling thread before the call and put back as it was after it
 * (removed, unless a call of another session was already running on this thread), also when the
 * call throws; a throw goes on to the caller unchanged.
 *
 * <p>Thread-safe when the delegate is: it holds no state of its own.
 */
public final class ObservedGameService<C extends MessageLite, S extends MessageLite> implements GameService<C, S> {

    /** MDC key holding the session's id (as {@link GameSession#id()}, in decimal) during a call. */
    public static final String MDC_SESSION_KEY = "aphelion.session";

    private final GameService<C, S> delegate;
    private final GameCallMetrics metrics;

    public ObservedGameService(GameService<C, S> delegate, GameCallMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    /** The application's service this one calls. */
    public GameService<C, S> delegate() {
        return delegate;
    }

    @Override
    public Parser<C> c2sParser() {
        return delegate.c2sParser();
    }

    @Override
    public boolean mayBlock() {
        return delegate.mayBlock();
    }

    @Override
    public void onMessage(GameSession<S> session, C message) {
        call(Method.ON_MESSAGE, session, () -> delegate.onMessage(session, message));
    }

    @Override
    public void sessionStarted(GameSession<S> session) {
        call(Method.SESSION_STARTED, session, () -> delegate.sessionStarted(session));
    }

    @Override
    public void connectionAdded(GameSession<S> session) {
        call(Method.CONNECTION_ADDED, session, () -> delegate.connectionAdded(session));
    }

    @Override
    public void connectionLost(GameSession<S> session, int closeCode) {
        call(Method.CONNECTION_LOST, session, () -> delegate.connectionLost(session, closeCode));
    }

    @Override
    public void sessionResumed(GameSession<S> session) {
        call(Method.SESSION_RESUMED, session, () -> delegate.sessionResumed(session));
    }

    @Override
    public void sessionEnded(GameSession<S> session, SessionEndReason reason) {
        call(Method.SESSION_ENDED, session, () -> delegate.sessionEnded(session, reason));
    }

    @Override
    public void sessionArrived(GameSession<S> session) {
        call(Method.SESSION_ARRIVED, session, () -> delegate.sessionArrived(session));
    }

    @Override
    public void sessionDeparted(GameSession<S> session) {
        call(Method.SESSION_DEPARTED, session, () -> delegate.sessionDeparted(session));
    }

    private void call(Method method, GameSession session, Runnable call) {
        String outer = MDC.get(MDC_SESSION_KEY);
        MDC.put(MDC_SESSION_KEY, Long.toString(session.id()));
        long start = System.nanoTime();
        boolean failed = true;
        try {
            call.run();
            failed = false;
        }
        finally {
            metrics.called(method, System.nanoTime() - start, failed);
            if (outer == null) {
                MDC.remove(MDC_SESSION_KEY);
            }
            else {
                MDC.put(MDC_SESSION_KEY, outer);
            }
        }
    }

    @Override
    public String toString() {
        return "Observed " + delegate;
    }
}
