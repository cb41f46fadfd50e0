package io.aphelion.server.protocol.game;

import java.security.SecureRandom;
import java.util.List;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;

import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.SendLocalChat;
import io.aphelion.proto.game.TimeRequest;

/**
 * Builders and parsers of protocol 2 messages for the game tests, and unique nicknames (test
 * contexts are cached and shared, and a nickname stays taken until its session expires).
 */
final class GameMessages {

    private static final SecureRandom RANDOM = new SecureRandom();

    private GameMessages() {
    }

    static byte[] authenticate(String nickname) {
        return C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build().toByteArray();
    }

    static byte[] timeRequest(long clientTime) {
        return C2S.newBuilder().addTimeRequest(TimeRequest.newBuilder().setClientTime(clientTime)).build().toByteArray();
    }

    static byte[] chat(String message) {
        return C2S.newBuilder().addSendLocalChat(SendLocalChat.newBuilder().setMessage(message)).build().toByteArray();
    }

    static byte[] command(String name, String... arguments) {
        return C2S.newBuilder().addCommand(Command.newBuilder().setName(name).addAllArguments(List.of(arguments)))
                .build().toByteArray();
    }

    static S2C parse(byte[] payload) {
        try {
            return S2C.parseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex) {
            throw new AssertionError("Not an S2C: " + ex.getMessage(), ex);
        }
    }

    /**
     * The fields of the first embedded message of field {@code envelopeField} in a raw
     * {@code S2C}, read without the generated classes: what an original client's parser sees.
     */
    static UnknownFieldSet rawEmbedded(byte[] payload, int envelopeField) {
        try {
            UnknownFieldSet envelope = UnknownFieldSet.parseFrom(payload);
            List<ByteString> embedded = envelope.getField(envelopeField).getLengthDelimitedList();
            if (embedded.isEmpty()) {
                throw new AssertionError("No field " + envelopeField + " in " + envelope);
            }
            return UnknownFieldSet.parseFrom(embedded.get(0));
        }
        catch (InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
    }

    /** A valid nickname of {@code prefix} and random letters, unlikely to meet another test's. */
    static String uniqueNickname(String prefix) {
        StringBuilder name = new StringBuilder(prefix);
        for (int i = 0; i < 8; i++) {
            name.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return name.toString();
    }
}
