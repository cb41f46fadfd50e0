/**
 * The protocols served over the transport: {@code ping} (1), built in, and {@code game} (2),
 * handed to the application's {@link io.aphelion.server.protocol.game.GameMessageService}.
 */
package io.aphelion.server.protocol;
