/**
 * Configuration: {@link io.aphelion.server.config.AphelionProperties} (every {@code aphelion.*}
 * key, validated at start-up) and the Spring wiring of the transport, each infrastructure bean
 * backing off when the application declares its own.
 */
package io.aphelion.server.config;
