package io.aphelion.server.protocol.game;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

import io.aphelion.proto.game.C2S;
import io.aphelion.server.protocol.Payloads;
import io.aphelion.server.session.Connection;
import io.aphelion.server.session.Session;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionListener;
import io.aphelion.server.support.SerialExecutor;
import io.aphelion.wire.CloseCodes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Protocol 2 (game): decodes {@code C2S} on the container thread (so a bad payload closes with
 * 1007 at once) and hands messages and lifecycle events to the {@link GameMessageService} on the
 * session's serial executor: on the game pool, or for a service that never blocks
 * ({@link GameMessageService#mayBlock()} false) messages on the reading thread when the session
 * has nothing queued. After each message the connection flushes, so the ack rides on the
 * service's answer when there is one.
 *
 * <p>Thread-safe; lifecycle calls arrive under the session's lock and only enqueue.
 */
public final class GameProtocol implements SessionListener {

    private static final Logger log = LoggerFactory.getLogger(GameProtocol.class);

    private final GameMessageService service;
    private final Executor pool;
    private final int maxPendingInbound;
    /** Whether messages are handled on the reading thread ({@link GameMessageService#mayBlock()} false). */
    private final boolean onReadingThread;

    public GameProtocol(GameMessageService service, Executor pool, int maxPendingInbound) {
        this.service = service;
        this.pool = pool;
        this.maxPendingInbound = maxPendingInbound;
        this.onReadingThread = !service.mayBlock();
    }

    @Override
    public Object decode(ByteBuffer payload) {
        return Payloads.parse(C2S.parser(), payload, "game");
    }

    @Override
    public void onMessage(Session session, Connection connection, Object message) {
        SessionHandle handle = handle(session);
        Runnable call = () -> {
            try {
                service.onMessage(handle, (C2S) message);
            }
            catch (Throwable ex) {
                log.error("GameMessageService failed on a message of session {}", session.id(), ex);
            }
            finally {
                connection.flush();
            }
        };
        boolean queued = onReadingThread ? handle.executor.executeHere(call) : handle.executor.execute(call);
        if (!queued) {
            connection.close(CloseCodes.POLICY_VIOLATION,
                    "More than " + maxPendingInbound + " messages waiting for the game service");
        }
    }

    @Override
    public void sessionStarted(Session session) {
        SessionHandle handle = new SessionHandle(session, new SerialExecutor(pool, maxPendingInbound));
        session.attachment(handle);
        event(handle, "sessionStarted", () -> service.sessionStarted(handle));
    }

    @Override
    public void connectionAdded(Session session, Connection connection) {
        SessionHandle handle = handle(session);
        event(handle, "connectionAdded", () -> service.connectionAdded(handle));
    }

    @Override
    public void connectionLost(Session session, Connection connection, int closeCode) {
        SessionHandle handle = handle(session);
        event(handle, "connectionLost", () -> service.connectionLost(handle, closeCode));
    }

    @Override
    public void sessionResumed(Session session, Connection connection) {
        SessionHandle handle = handle(session);
        event(handle, "sessionResumed", () -> service.sessionResumed(handle));
    }

    @Override
    public void sessionEnded(Session session, SessionEndReason reason) {
        SessionHandle handle = handle(session);
        event(handle, "sessionEnded", () -> service.sessionEnded(handle, reason));
    }

    private static SessionHandle handle(Session session) {
        return (SessionHandle) session.attachment();
    }

    private static void event(SessionHandle handle, String name, Runnable call) {
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
