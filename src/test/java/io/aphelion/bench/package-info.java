/**
 * JMH microbenchmarks of the hot paths: the wire codec ({@code Packets}, {@code InitPacket}) and
 * the per-connection ack path ({@code AckTracker}). Compiled with the tests (the JMH annotation
 * processor generates META-INF/BenchmarkList into test-classes), never run by the build: run them
 * as docs/BENCHMARKS.md says.
 */
package io.aphelion.bench;
