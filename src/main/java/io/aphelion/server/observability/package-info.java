/**
 * What operators see: the {@link io.aphelion.server.session.TransportMetrics} hooks the
 * transport reports to, their Micrometer binding
 * ({@link io.aphelion.server.observability.MicrometerTransportMetrics}), the decorator around the
 * application's game ({@link io.aphelion.server.observability.ObservedGameService}: the
 * session id in the MDC, call timers through
 * {@link io.aphelion.server.observability.GameCallMetrics}), Actuator health
 * ({@link io.aphelion.server.observability.AphelionHealthIndicator}), and graceful shutdown
 * ({@link io.aphelion.server.observability.GracefulShutdown}). {@code docs/OPERATING.md} is the
 * operator's guide to all of it.
 */
package io.aphelion.server.observability;
