package io.aphelion.server.protocol.game;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.google.protobuf.MessageLite;

import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.wire.WireFormat;

/**
 * Every live game session, so a {@link GameMessageService} can reach others without keeping a
 * registry of its own. A bean; thread-safe; views are weakly consistent (a session that starts or
 * ends during a broadcast may or may not get it).
 */
public final class GameSessions {

    private final SessionRegistry registry;

    public GameSessions(SessionRegistry registry) {
        this.registry = registry;
    }

    /** A live game session by its id. */
    public Optional<GameSession<?>> find(long id) {
        return registry.find(id)
                .filter(session -> session.protocol() == WireFormat.PROTOCOL_GAME)
                .map(session -> (GameSession<?>) session.attachment());
    }

    /** Sends a reliable message (the game's {@code S2C}) to every live game session; serializes it once. Returns how many took it. */
    public int broadcast(MessageLite message) {
        return broadcast(message, session -> true, Delivery.RELIABLE);
    }

    /**
     * Sends a message to every live game session that matches; serializes it once.
     *
     * @return how many sessions queued it
     */
    public int broadcast(MessageLite message, Predicate<GameSession<?>> filter, Delivery delivery) {
        byte[] payload = message.toByteArray();
        PlayerSession.requirePayload(payload);
        int[] sent = { 0 };
        registry.forEach(WireFormat.PROTOCOL_GAME, session -> {
            GameSession<?> handle = (GameSession<?>) session.attachment();
            if (handle != null && filter.test(handle) && session.send(payload, delivery)) {
                sent[0]++;
            }
        });
        return sent[0];
    }

    /** Calls {@code action} for every live game session. */
    public void forEach(Consumer<GameSession<?>> action) {
        registry.forEach(WireFormat.PROTOCOL_GAME, session -> {
            GameSession<?> handle = (GameSession<?>) session.attachment();
            if (handle != null) {
                action.accept(handle);
            }
        });
    }

    /** Live game sessions, including those waiting to be resumed. */
    public int count() {
        return registry.liveSessions(WireFormat.PROTOCOL_GAME);
    }
}
