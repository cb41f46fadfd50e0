package com.example.dice;

import java.util.Collections;

import com.google.protobuf.Parser;

import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.test.dice.DiceC2S;
import io.aphelion.test.dice.DiceS2C;

import org.springframework.stereotype.Component;

/**
 * A game with messages of its own (dice_game.proto): rolls as many dice as asked (always sixes) and
 * names the protocol version the session speaks. Declaring this bean replaces the default lobby.
 */
@Component
public class DiceGame implements GameService<DiceC2S, DiceS2C> {

    @Override
    public Parser<DiceC2S> c2sParser() {
        return DiceC2S.parser();
    }

    @Override
    public void onMessage(GameSession<DiceS2C> session, DiceC2S message) {
        session.send(DiceS2C.newBuilder()
                .addAllFaces(Collections.nCopies(message.getRoll(), 6))
                .setVersion(session.protocolVersion())
                .build());
    }
}
