/**
 * The load generator ({@link io.aphelion.loadtest.LoadTool}, {@code scripts/loadtest.sh}) and the
 * side-by-side comparison with a raw Netty baseline ({@link io.aphelion.loadtest.Bench},
 * {@code scripts/bench.sh}), and the soak ({@link io.aphelion.loadtest.Soak}, {@code scripts/soak.sh};
 * its one-minute smoke {@code SoakIT} runs in {@code ./mvnw verify}). Netty-based so that one process can hold 15,000 connections. Lives in
 * test scope so the server jar stays free of Netty; compiled by every build, run by hand (but for {@code SoakIT}).
 * See docs/BENCHMARKS.md.
 */
package io.aphelion.loadtest;
