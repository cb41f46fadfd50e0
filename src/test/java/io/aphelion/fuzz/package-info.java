/**
 * The codec fuzz tests' runner ({@link io.aphelion.fuzz.Fuzz}: seeded tries, shrinking, a bounded
 * default for CI and system properties to run longer), the seed corpus reader
 * ({@link io.aphelion.fuzz.Corpus}, {@code src/test/resources/fuzz/}) and byte mutations
 * ({@link io.aphelion.fuzz.Mutations}). The properties live beside the code they test:
 * {@code FrameReaderFuzzTest}, {@code InitPacketFuzzTest}, {@code PacketsFuzzTest}.
 */
package io.aphelion.fuzz;
