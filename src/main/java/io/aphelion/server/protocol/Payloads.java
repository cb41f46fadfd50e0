package io.aphelion.server.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Parser;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.ProtocolViolationException;

/** Decoding of protobuf payloads, with the one answer to a bad one: close 1007. */
public final class Payloads {

    private Payloads() {
    }

    /**
     * Parses a payload as a message of the protocol's {@code C2S}.
     *
     * @throws ProtocolViolationException {@link CloseCodes#INVALID_PAYLOAD} when it is not one
     */
    public static <T> T parse(Parser<T> parser, ByteBuffer payload, String protocolName) {
        try {
            CodedInputStream input = CodedInputStream.newInstance(payload);
            T message = parser.parseFrom(input);
            input.checkLastTagWas(0);
            return message;
        }
        catch (IOException ex) { // protobuf's InvalidProtocolBufferException included
            throw new ProtocolViolationException(CloseCodes.INVALID_PAYLOAD, "Invalid " + protocolName + " C2S message");
        }
    }
}
