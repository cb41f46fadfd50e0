/**
 * What operators see: the {@link io.aphelion.server.observability.TransportMetrics} hooks the
 * transport reports to, their Micrometer binding, Actuator health, and graceful shutdown.
 */
package io.aphelion.server.observability;
