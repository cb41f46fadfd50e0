package io.aphelion.server.observability;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.aphelion.proto.game.C2S;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.SessionEndReason;

/** A game that records why each of its sessions ended. Thread-safe. */
class RecordingGame implements GameMessageService {

    private final List<SessionEndReason> ended = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(GameSession session, C2S message) {
    }

    @Override
    public void sessionEnded(GameSession session, SessionEndReason reason) {
        ended.add(reason);
    }

    /** The end reasons heard so far, in order. */
    List<SessionEndReason> ended() {
        return List.copyOf(ended);
    }
}
