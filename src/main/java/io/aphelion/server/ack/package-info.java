/**
 * Per-connection ack bookkeeping: how many packets we must still acknowledge, which of our
 * packets the peer has not acknowledged yet, and the round-trip time the acks reveal.
 */
package io.aphelion.server.ack;
