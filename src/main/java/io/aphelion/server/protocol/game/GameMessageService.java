package io.aphelion.server.protocol.game;

import com.google.protobuf.Parser;

import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.S2C;

/**
 * The application's game over the built-in {@code game.proto} messages ({@code C2S}: authenticate,
 * time requests, chat, free-form commands; {@code S2C}: their answers). Declare a bean of this type
 * to replace the default lobby; nothing else changes. A game with messages of its own implements
 * {@link GameService} over its own {@code C2S}/{@code S2C} instead; threading and the order of
 * calls are described there.
 *
 * <p>One packet's {@code C2S} envelope may carry several messages in its repeated fields.
 */
public interface GameMessageService extends GameService<C2S, S2C> {

    /** {@code game.proto}'s {@code C2S}. */
    @Override
    default Parser<C2S> c2sParser() {
        return C2S.parser();
    }
}
