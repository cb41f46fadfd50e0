package io.aphelion.server.transport;

import io.aphelion.server.session.Connection;
import io.aphelion.server.session.FrameSink;

/** Makes the {@link Connection} for a newly upgraded websocket. */
@FunctionalInterface
public interface ConnectionFactory {

    Connection create(FrameSink sink);
}
