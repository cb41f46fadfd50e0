/**
 * The load generator ({@link io.aphelion.loadtest.LoadTool}, {@code scripts/loadtest.sh}), the
 * side-by-side comparison with the server's peers: a raw Netty baseline, a tuned Netty peer and a
 * uWebSockets.js peer ({@link io.aphelion.loadtest.Bench}, {@code scripts/bench.sh}; the peers are
 * checked by {@code BenchPeersTest} and {@code UwsPeerIT}), and the soak ({@link io.aphelion.loadtest.Soak},
 * {@code scripts/soak.sh}; its one-minute smoke {@code SoakIT} runs in {@code ./mvnw verify}).
 * Netty-based so that one process can hold 15,000 connections. Lives in test scope so the server
 * jar stays free of Netty; compiled by every build, run by hand (but for those checks and {@code SoakIT}).
 * See docs/BENCHMARKS.md.
 */
package io.aphelion.loadtest;
