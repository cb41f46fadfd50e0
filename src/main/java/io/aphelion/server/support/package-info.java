/**
 * Time and threads: the {@link io.aphelion.server.support.Scheduler} every timeout and expiry is
 * driven by (so tests can advance time by hand), and a per-session serial executor.
 */
package io.aphelion.server.support;
