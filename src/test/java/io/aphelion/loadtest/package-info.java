/**
 * The load generator ({@link io.aphelion.loadtest.LoadTool}, {@code scripts/loadtest.sh}) and the
 * side-by-side comparison with a raw Netty baseline ({@link io.aphelion.loadtest.Bench},
 * {@code scripts/bench.sh}). Netty-based so that one process can hold 15,000 connections. Lives in
 * test scope so the server jar stays free of Netty; compiled by every build, run only by hand.
 * See docs/BENCHMARKS.md.
 */
package io.aphelion.loadtest;
