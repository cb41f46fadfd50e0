package io.aphelion.server.protocol.game;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import com.google.protobuf.MessageLite;

import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.support.SerialExecutor;

/**
 * The {@link GameSession} of one game session, and the serial executor its service calls run on.
 * Thread-safe.
 */
final class SessionHandle<S extends MessageLite> implements GameSession<S> {

    private final PlayerSession session;
    final SerialExecutor executor;
    private volatile Object attachment;

    SessionHandle(PlayerSession session, SerialExecutor executor) {
        this.session = session;
        this.executor = executor;
    }

    @Override
    public long id() {
        return session.id();
    }

    @Override
    public boolean send(S message) {
        return session.send(message.toByteArray(), Delivery.RELIABLE);
    }

    @Override
    public boolean sendVolatile(S message) {
        return session.send(message.toByteArray(), Delivery.VOLATILE);
    }

    @Override
    public void close(String reason) {
        session.close(SessionEndReason.CLOSED_BY_SERVER, reason);
    }

    @Override
    public boolean closeIfDetached(String reason) {
        return session.closeIfDetached(SessionEndReason.CLOSED_BY_SERVER);
    }

    @Override
    public boolean isOpen() {
        return session.state() != PlayerSession.State.ENDED;
    }

    @Override
    public int connectionCount() {
        return session.connectionCount();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return session.remoteAddress();
    }

    @Override
    public int protocolVersion() {
        return session.version();
    }

    @Override
    public Optional<Duration> roundTripTime() {
        return session.roundTripTime();
    }

    @Override
    public String attribute(String name) {
        return session.attribute(name);
    }

    @Override
    public void attribute(String name, String value) {
        session.attribute(name, value);
    }

    @Override
    public Object attachment() {
        return attachment;
    }

    @Override
    public void attachment(Object value) {
        attachment = value;
    }

    @Override
    public String toString() {
        return "GameSession " + session.id();
    }
}
