/**
 * The Aphelion server: a Spring Boot application serving the Aphelion websocket transport.
 *
 * <p>Packages by responsibility: {@code transport} (the thin websocket handler and frame sinks),
 * {@code handshake} (init packet checks), {@code session} (player sessions, their connections and
 * delivery), {@code ack} (per-connection ack bookkeeping), {@code protocol} (ping and game),
 * {@code config} (properties and wiring), {@code observability} (metrics, health, shutdown) and
 * {@code support} (time and executors).
 */
package io.aphelion.server;
