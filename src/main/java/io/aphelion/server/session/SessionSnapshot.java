package io.aphelion.server.session;

import java.util.List;
import java.util.Map;

import io.aphelion.wire.SessionToken;

/**
 * A session without connections, as it moves from one node of a cluster to another: everything
 * the node that takes it over needs to go on exactly where the old one stopped. Its messages
 * waiting for the client (reliable ones that were never acked, in order, then any queued since),
 * its attributes, how its client acks, and how long it has left before it expires. Immutable.
 *
 * @param acking the {@code PlayerSession.Acking} name: {@code UNDECIDED}, {@code ACKING} or {@code NON_ACKING}
 * @param expiresInMillis time left until the session expires unless resumed
 */
public record SessionSnapshot(long id, SessionToken token, int protocol, int version, String acking,
        Map<String, String> attributes, List<Pending> pending, long expiresInMillis) {

    /** A message waiting for the client. */
    public record Pending(byte[] payload, boolean reliable) {
    }

    public SessionSnapshot {
        attributes = Map.copyOf(attributes);
        pending = List.copyOf(pending);
    }
}
