package io.aphelion.server.session;

import io.aphelion.server.session.SessionEndReason;

/**
 * Events the transport reports for metrics. Called on hot paths (per frame, per ack) from any
 * thread: implementations must be thread-safe, cheap and never throw. Tags must stay
 * low-cardinality: never tokens or session ids.
 */
public interface TransportMetrics {

    /** Reports nothing. */
    TransportMetrics NONE = new TransportMetrics() {
    };

    /** A websocket was upgraded. */
    default void connectionOpened() {
    }

    /** A websocket closed, with the close code seen or sent. */
    default void connectionClosed(int closeCode) {
    }

    /** A handshake finished: {@code closeCode} 0 when the client got its token, else the close code. */
    default void handshake(int protocol, int closeCode) {
    }

    /** A frame arrived. */
    default void frameReceived(int bytes) {
    }

    /** A frame was handed to the socket. */
    default void frameSent(int bytes) {
    }

    /** An ack from a client covered {@code packets} packets; {@code rttNanos} is -1 without a sample. */
    default void ackReceived(int packets, long rttNanos) {
    }

    /** Reliable messages queued again after their connection was lost. */
    default void resent(int messages) {
    }

    /** A volatile message was dropped because its session's send buffer was full. */
    default void volatileDropped() {
    }

    /** A session was ended because its send buffer overflowed. */
    default void slowClientDisconnected() {
    }

    /** A session started. */
    default void sessionStarted(int protocol) {
    }

    /** A session was resumed by a new connection after losing all of its connections. */
    default void sessionResumed(int protocol) {
    }

    /** A session ended. */
    default void sessionEnded(int protocol, SessionEndReason reason) {
    }
}
