package io.aphelion.server.protocol.game;

import java.util.function.LongSupplier;

import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.TimeResponse;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.SessionEndReason;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link GameMessageService}: a small working lobby.
 *
 * <ul>
 * <li>{@code authenticate}: takes a nickname by {@link Nicknames}' rules; answers
 * {@code authenticate_response} with 0 (OK), 3 (invalid nickname), 4 (nickname in use) or 2
 * (the session already has a nickname).</li>
 * <li>{@code time_request}: answers {@code time_response} with the echoed client time and the
 * server's monotonic time in nanoseconds (volatile: a late answer would skew clock sync).</li>
 * <li>{@code send_local_chat}: from an authenticated session, a {@code local_chat_message} to
 * every authenticated session, the sender included, once per session however many connections
 * it holds (in a cluster: on every node). Chat from a session without a nickname is ignored.</li>
 * <li>{@code connection_ready} and {@code command}: accepted, nothing to do in a lobby.</li>
 * </ul>
 * Nicknames are unique in the cluster too (held in Redis there). A nickname is freed when its session ends. A nickname held by a session that has no connection
 * left (waiting to be resumed or to expire) goes to a new player who asks for it, and that old
 * session ends: a player who dropped and logs in again is not told "nickname in use". Thread-safe. Runs on the game pool
 * ({@link #mayBlock()} stays true): a chat message is sent to every player, work that grows with
 * the number of players and does not belong on a socket's reading thread.
 */
public class LobbyGameMessageService implements GameMessageService {

    private static final Logger log = LoggerFactory.getLogger(LobbyGameMessageService.class);

    /**
     * The session attribute holding the player's nickname once authenticated: chat goes to the
     * sessions that have it, on every node of a cluster.
     */
    public static final String NICKNAME_ATTRIBUTE = "nickname";

    private final GameSessions sessions;
    private final LongSupplier clock;
    /** Canonical nickname to the id of the session holding it (cluster mode: in Redis). */
    private final NicknameRegistry nicknames;

    /**
     * @param sessions every game session, for chat
     * @param clock the server's monotonic clock in nanoseconds
     */
    public LobbyGameMessageService(GameSessions sessions, LongSupplier clock) {
        this(sessions, clock, NicknameRegistry.inMemory());
    }

    /** @param nicknames who holds which nickname: this process's, or the cluster's */
    public LobbyGameMessageService(GameSessions sessions, LongSupplier clock, NicknameRegistry nicknames) {
        this.sessions = sessions;
        this.clock = clock;
        this.nicknames = nicknames;
    }

    /** A player of the lobby: the session's attachment once it has a nickname. */
    public record Player(String nickname) {
    }

    @Override
    public void onMessage(GameSession<S2C> session, C2S message) {
        S2C.Builder reply = S2C.newBuilder();
        message.getAuthenticateList().forEach(auth -> reply.addAuthenticateResponse(authenticate(session, auth.getNickname())));
        message.getTimeRequestList().forEach(request -> session.sendVolatile(S2C.newBuilder()
                .addTimeResponse(TimeResponse.newBuilder()
                        .setClientTime(request.getClientTime())
                        .setServerTime(clock.getAsLong()))
                .build()));
        if (reply.getAuthenticateResponseCount() > 0) {
            session.send(reply.build());
        }
        Player player = player(session);
        for (var chat : message.getSendLocalChatList()) {
            if (player == null) {
                log.debug("Chat from session {} without a nickname ignored", session.id());
                continue;
            }
            S2C broadcast = S2C.newBuilder()
                    .addLocalChatMessage(LocalChatMessage.newBuilder()
                            .setSender(player.nickname())
                            .setMessage(chat.getMessage()))
                    .build();
            sessions.broadcastWhere(NICKNAME_ATTRIBUTE, broadcast, Delivery.RELIABLE);
        }
    }

    private AuthenticateResponse authenticate(GameSession<S2C> session, String nickname) {
        if (player(session) != null) {
            return response(AuthenticateResponse.Error.ALREADY_AUTHENTICATED, "This session already has a nickname");
        }
        if (!Nicknames.isValid(nickname)) {
            return response(AuthenticateResponse.Error.INVALID_NICKNAME, "A nickname starts with a letter, then letters, "
                    + "digits, -[]\\`^{}_ or space, at most " + Nicknames.MAX_LENGTH + " characters");
        }
        String key = Nicknames.canonical(nickname);
        long holder;
        while ((holder = nicknames.claim(key, session.id())) != 0) {
            GameSession<?> held = sessions.find(holder).orElse(null);
            // Held by a session without a connection: it ends (atomically: unless its client just
            // came back) and the nickname is ours. Held by one that already ended: ours too.
            if (held != null && !held.closeIfDetached("Nickname taken by a new session")) {
                return response(AuthenticateResponse.Error.NICKNAME_IN_USE, "Nickname in use");
            }
            if (nicknames.replace(key, holder, session.id())) {
                if (held != null) {
                    log.info("Session {} took nickname {} from session {}, which had no connection left",
                            session.id(), nickname, holder);
                }
                break;
            }
        }
        session.attachment(new Player(nickname));
        session.attribute(NICKNAME_ATTRIBUTE, nickname);
        log.info("Session {} authenticated as {}", session.id(), nickname);
        return response(AuthenticateResponse.Error.OK, "");
    }

    private static AuthenticateResponse response(AuthenticateResponse.Error error, String description) {
        return AuthenticateResponse.newBuilder().setError(error).setErrorDescription(description).build();
    }

    /** Cluster mode: a player who moved here from another node keeps the nickname it had there. */
    @Override
    public void sessionArrived(GameSession<S2C> session) {
        String nickname = session.attribute(NICKNAME_ATTRIBUTE);
        if (nickname != null) {
            session.attachment(new Player(nickname));
        }
    }

    @Override
    public void sessionEnded(GameSession<S2C> session, SessionEndReason reason) {
        Player player = player(session);
        if (player != null) {
            nicknames.release(Nicknames.canonical(player.nickname()), session.id());
        }
    }

    private static Player player(GameSession<?> session) {
        return session.attachment() instanceof Player player ? player : null;
    }
}
