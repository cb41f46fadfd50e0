package io.aphelion.server.protocol.game;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

import com.google.protobuf.MessageLite;

import io.aphelion.server.protocol.Payloads;
import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionListener;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.SerialExecutor;
import io.aphelion.wire.CloseCodes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Protocol 2 (game): decodes the game's {@code C2S} with its {@link GameService#c2sParser()} on
 * the container thread (so a bad payload closes with 1007 at once) and hands messages and
 * lifecycle events to the {@link GameService} on the
 * session's serial executor: on the game pool, or for a service that never blocks
 * ({@link GameMessageService#mayBlock()} false) messages on the reading thread when the session
 * has nothing queued. After each message the connection flushes, so the ack rides on the
 * service's answer when there is one.
 *
 * <p>Thread-safe; lifecycle calls arrive under the session's lock and only enqueue.
 */
public final class GameProtocol<C extends MessageLite, S extends MessageLite> implements SessionListener<C> {

    private static final Logger log = LoggerFactory.getLogger(GameProtocol.class);

    private final GameService<C, S> service;
    private final Executor pool;
    private final int maxPendingInbound;
    /** Where a session's drain waits when the pool's queue is full. */
    private final Scheduler retries;
    /** Whether messages are handled on the reading thread ({@link GameMessageService#mayBlock()} false). */
    private final boolean onReadingThread;

    public GameProtocol(GameService<C, S> service, Executor pool, int maxPendingInbound, Scheduler retries) {
        this.service = service;
        this.pool = pool;
        this.maxPendingInbound = maxPendingInbound;
        this.retries = retries;
        this.onReadingThread = !service.mayBlock();
    }

    @Override
    public C decode(ByteBuffer payload) {
        return Payloads.parse(service.c2sParser(), payload, "game");
    }

    @Override
    public void onMessage(PlayerSession session, ClientConnection connection, C message) {
        SessionHandle<S> handle = handle(session);
        Runnable call = () -> {
            try {
                service.onMessage(handle, message);
            }
            catch (Throwable ex) {
                log.error("GameMessageService failed on a message of session {}", session.id(), ex);
            }
            finally {
                // Its ack rode on whatever the service sent; if it sent nothing, the ack goes alone now.
                connection.handled();
            }
        };
        boolean queued = onReadingThread ? handle.executor.executeHere(call) : handle.executor.execute(call);
        if (!queued) {
            connection.close(CloseCodes.POLICY_VIOLATION,
                    "More than " + maxPendingInbound + " messages waiting for the game service");
        }
    }

    @Override
    public void sessionStarted(PlayerSession session) {
        SessionHandle<S> handle = new SessionHandle<>(session, new SerialExecutor(pool, maxPendingInbound, retries));
        session.attachment(handle);
        event(handle, "sessionStarted", () -> service.sessionStarted(handle));
    }

    @Override
    public void sessionArrived(PlayerSession session) {
        SessionHandle<S> handle = new SessionHandle<>(session, new SerialExecutor(pool, maxPendingInbound, retries));
        session.attachment(handle);
        event(handle, "sessionArrived", () -> service.sessionArrived(handle));
    }

    /** A session whose service calls are queued or running stays until they are done (its answers would be lost). */
    @Override
    public boolean busy(PlayerSession session) {
        SessionHandle<S> handle = handle(session);
        return handle != null && !handle.executor.idle();
    }

    @Override
    public void sessionDeparted(PlayerSession session) {
        SessionHandle<S> handle = handle(session);
        event(handle, "sessionDeparted", () -> service.sessionDeparted(handle));
    }

    @Override
    public void connectionAdded(PlayerSession session, ClientConnection connection) {
        SessionHandle<S> handle = handle(session);
        event(handle, "connectionAdded", () -> service.connectionAdded(handle));
    }

    @Override
    public void connectionLost(PlayerSession session, ClientConnection connection, int closeCode) {
        SessionHandle<S> handle = handle(session);
        event(handle, "connectionLost", () -> service.connectionLost(handle, closeCode));
    }

    @Override
    public void sessionResumed(PlayerSession session, ClientConnection connection) {
        SessionHandle<S> handle = handle(session);
        event(handle, "sessionResumed", () -> service.sessionResumed(handle));
    }

    @Override
    public void sessionEnded(PlayerSession session, SessionEndReason reason) {
        SessionHandle<S> handle = handle(session);
        event(handle, "sessionEnded", () -> service.sessionEnded(handle, reason));
    }

    @SuppressWarnings("unchecked")
    private SessionHandle<S> handle(PlayerSession session) {
        return (SessionHandle<S>) session.attachment();
    }

    private static void event(SessionHandle<?> handle, String name, Runnable call) {
        handle.executor.executeAlways(() -> {
            try {
                call.run();
            }
            catch (Throwable ex) {
                log.error("GameMessageService.{} failed for session {}", name, handle.id(), ex);
            }
        });
    }
}
