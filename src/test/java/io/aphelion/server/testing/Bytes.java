package io.aphelion.server.testing;

import java.io.ByteArrayOutputStream;

/** Byte-array helpers for building frames in tests. */
public final class Bytes {

    private Bytes() {
    }

    /** The parts one after the other. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
