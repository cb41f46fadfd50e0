package io.aphelion.server.handshake;

import io.aphelion.server.session.SessionListener;

/**
 * A protocol the server serves: its id in the init packet, the versions it accepts, and what
 * handles its sessions. Each is a bean ({@code aphelionPingProtocol} for 1, {@code aphelionGameProtocol}
 * for 2); {@link HandshakeService} serves every one in the context, so an application replaces a
 * protocol by declaring a bean of the same name, or adds one with an id of its own.
 *
 * @param id the protocol id of the init packet's {@code aphelion_protocol}
 * @param minVersion the oldest version served (an init packet below it gets 4001)
 * @param maxVersion the newest version served (above it: 4002; version 0 in the init packet means this one)
 * @param listener the protocol's handling of its sessions and their messages
 */
public record ServedProtocol(int id, int minVersion, int maxVersion, SessionListener<?> listener) {

    public ServedProtocol {
        if (id < 1 || id > Short.MAX_VALUE) {
            throw new IllegalArgumentException("A protocol id is 1.." + Short.MAX_VALUE + " (an i16 on the wire), got " + id);
        }
        if (minVersion < 1 || maxVersion < minVersion) {
            throw new IllegalArgumentException("Protocol " + id + ": versions must satisfy 1 <= min <= max, got "
                    + minVersion + ".." + maxVersion);
        }
    }
}
