package io.aphelion.server.transport;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;

/** Makes the {@link ClientConnection} for a newly upgraded websocket. */
@FunctionalInterface
public interface ClientConnectionFactory {

    ClientConnection create(FrameSink sink);
}
