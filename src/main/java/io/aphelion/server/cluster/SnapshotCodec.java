package io.aphelion.server.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.aphelion.server.session.SessionSnapshot;
import io.aphelion.wire.SessionToken;

/**
 * A {@link SessionSnapshot} as it travels between nodes: a versioned binary form (the first byte),
 * so nodes of two releases can tell each other's apart during a rolling upgrade.
 */
final class SnapshotCodec {

    private static final int VERSION = 1;

    private SnapshotCodec() {
    }

    static void write(SessionSnapshot snapshot, DataOutputStream out) throws IOException {
        out.writeByte(VERSION);
        out.writeLong(snapshot.id());
        out.write(snapshot.token().toBytes());
        out.writeInt(snapshot.protocol());
        out.writeInt(snapshot.version());
        out.writeUTF(snapshot.acking());
        out.writeLong(snapshot.expiresInMillis());
        out.writeInt(snapshot.attributes().size());
        for (Map.Entry<String, String> attribute : snapshot.attributes().entrySet()) {
            out.writeUTF(attribute.getKey());
            out.writeUTF(attribute.getValue());
        }
        out.writeInt(snapshot.pending().size());
        for (SessionSnapshot.Pending message : snapshot.pending()) {
            out.writeBoolean(message.reliable());
            out.writeInt(message.payload().length);
            out.write(message.payload());
        }
    }

    static SessionSnapshot read(DataInputStream in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IOException("Session snapshot of version " + version + "; this node reads " + VERSION);
        }
        long id = in.readLong();
        SessionToken token = SessionToken.of(in.readNBytes(SessionToken.LENGTH));
        int protocol = in.readInt();
        int sessionVersion = in.readInt();
        String acking = in.readUTF();
        long expiresIn = in.readLong();
        int attributeCount = in.readInt();
        Map<String, String> attributes = new LinkedHashMap<>();
        for (int i = 0; i < attributeCount; i++) {
            attributes.put(in.readUTF(), in.readUTF());
        }
        int pendingCount = in.readInt();
        List<SessionSnapshot.Pending> pending = new ArrayList<>(pendingCount);
        for (int i = 0; i < pendingCount; i++) {
            boolean reliable = in.readBoolean();
            pending.add(new SessionSnapshot.Pending(in.readNBytes(in.readInt()), reliable));
        }
        return new SessionSnapshot(id, token, protocol, sessionVersion, acking, attributes, pending, expiresIn);
    }
}
