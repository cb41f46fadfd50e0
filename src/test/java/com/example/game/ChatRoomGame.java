package com.example.game;

import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.session.SessionEndReason;

import org.springframework.stereotype.Component;

/**
 * A chat room: any nickname is welcome, chat goes to everyone, the "who" command counts the
 * players, and everyone hears when a player leaves. Declaring this bean replaces the default lobby.
 */
@Component
public class ChatRoomGame implements GameMessageService {

    private final GameSessions sessions;

    public ChatRoomGame(GameSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public void sessionStarted(GameSession<S2C> session) {
        session.attachment("guest-" + session.id());
    }

    @Override
    public void onMessage(GameSession<S2C> session, C2S message) {
        message.getAuthenticateList().forEach(auth -> {
            session.attachment(auth.getNickname());
            session.send(S2C.newBuilder()
                    .addAuthenticateResponse(AuthenticateResponse.newBuilder().setError(AuthenticateResponse.Error.OK))
                    .build());
        });
        message.getSendLocalChatList().forEach(chat ->
                sessions.broadcast(say((String) session.attachment(), chat.getMessage())));
        for (Command command : message.getCommandList()) {
            if (command.getName().equals("who")) {
                session.send(say("server", sessions.count() + " players online"));
            }
        }
    }

    @Override
    public void sessionEnded(GameSession<S2C> session, SessionEndReason reason) {
        sessions.broadcast(say("server", session.attachment() + " left (" + reason + ")"));
    }

    private static S2C say(String sender, String text) {
        return S2C.newBuilder()
                .addLocalChatMessage(LocalChatMessage.newBuilder().setSender(sender).setMessage(text))
                .build();
    }
}
