package io.aphelion.wire;

/**
 * Every websocket close code the Aphelion transport uses, in one place.
 *
 * <p>4000-4005 are defined by {@code websocket-transport.txt}. 4000-4099 belong to the protocol and
 * the original game (whose client reads 4006 as "malformed packet"), so the server never sends
 * 4006-4099: its own codes start at 4100. The 1xxx codes are RFC 6455's.
 */
public final class CloseCodes {

    /** 1000: normal closure, e.g. the application closed the session. */
    public static final int NORMAL = 1000;

    /** 1001: the server is shutting down (graceful shutdown), or the peer is going away. */
    public static final int GOING_AWAY = 1001;

    /** 1002: a protocol violation after the handshake: an empty frame, or an ack larger than outstanding. */
    public static final int PROTOCOL_ERROR = 1002;

    /** 1003: a text frame; the transport uses binary frames only. */
    public static final int UNSUPPORTED_DATA = 1003;

    /** 1005: reported when a close frame carried no status code (never sent on the wire; RFC 6455 7.4.1). */
    public static final int NO_STATUS = 1005;

    /** 1006: reported when the socket went away without a close frame (never sent on the wire; RFC 6455 7.4.1). */
    public static final int ABNORMAL = 1006;

    /** 1007: a payload that is not a valid message of the protocol's {@code C2S}. */
    public static final int INVALID_PAYLOAD = 1007;

    /** 1008: a policy violation, e.g. a client sending faster than its session can process. */
    public static final int POLICY_VIOLATION = 1008;

    /** 1009: a frame larger than {@code aphelion.websocket.max-message-size}. */
    public static final int MESSAGE_TOO_BIG = 1009;

    /** 1011: the server met an unexpected condition. */
    public static final int INTERNAL_ERROR = 1011;

    /** 4000: the init packet names a protocol that is unknown or not served. */
    public static final int INVALID_PROTOCOL = 4000;

    /** 4001: the requested protocol version is too old (below the served minimum). */
    public static final int VERSION_TOO_OLD = 4001;

    /** 4002: the requested protocol version is too new (above the served maximum). */
    public static final int VERSION_TOO_NEW = 4002;

    /** 4003: the init packet is malformed (not exactly 39 bytes), or the init reply was. */
    public static final int MALFORMED_INIT = 4003;

    /** 4004: the client did not send its init packet within {@code aphelion.websocket.init-timeout}. */
    public static final int INIT_TIMEOUT = 4004;

    /**
     * 4005: sent by a client that was unexpectedly given a new session and now closes the
     * connections of its old one. The server treats it as an ordinary close.
     */
    public static final int NEW_SESSION_CLOSING_OLD = 4005;

    /**
     * 4100 (extension): the session named by the token already holds
     * {@code aphelion.session.max-connections} connections; the extra connection is refused and
     * the session is unaffected.
     */
    public static final int SESSION_FULL = 4100;

    /**
     * 4101 (extension): the session's send buffer ({@code aphelion.session.send-buffer.*}) overflowed
     * with reliable messages: the client cannot keep up. Every connection of the session is closed
     * with this code and the session ends.
     */
    public static final int SEND_BUFFER_OVERFLOW = 4101;

    /**
     * 4102 (extension): packets sent on this connection stayed unacked for longer than
     * {@code aphelion.session.ack-timeout}; the connection is taken as dead and its reliable
     * messages are sent again on another connection of the session.
     */
    public static final int ACK_TIMEOUT = 4102;

    /**
     * 4103 (extension): the connection answered no websocket ping within
     * {@code aphelion.websocket.pong-timeout}.
     */
    public static final int PONG_TIMEOUT = 4103;

    /**
     * 4104 (extension): the client sent more frames than {@code aphelion.websocket.rate-limit}
     * allows (a sustained rate with a burst on top); the connection is closed, its session lives on.
     */
    public static final int RATE_LIMITED = 4104;

    /**
     * 4105 (extension, cluster mode): the cluster's session directory (Redis) could not be reached
     * to answer this init packet; nothing was changed. The client may try again (with its token).
     */
    public static final int CLUSTER_UNAVAILABLE = 4105;

    /** The first close code of the server's own range; 4006-4099 are never sent. */
    public static final int FIRST_SERVER_CODE = 4100;

    private CloseCodes() {
    }

    /**
     * A short description of a close code, for logs and metrics.
     *
     * @param code a websocket close code
     * @return its name in this class, or {@code "other"}
     */
    public static String name(int code) {
        return switch (code) {
            case NORMAL -> "normal";
            case GOING_AWAY -> "going_away";
            case PROTOCOL_ERROR -> "protocol_error";
            case UNSUPPORTED_DATA -> "unsupported_data";
            case NO_STATUS -> "no_status";
            case ABNORMAL -> "abnormal";
            case INVALID_PAYLOAD -> "invalid_payload";
            case POLICY_VIOLATION -> "policy_violation";
            case MESSAGE_TOO_BIG -> "message_too_big";
            case INTERNAL_ERROR -> "internal_error";
            case INVALID_PROTOCOL -> "invalid_protocol";
            case VERSION_TOO_OLD -> "version_too_old";
            case VERSION_TOO_NEW -> "version_too_new";
            case MALFORMED_INIT -> "malformed_init";
            case INIT_TIMEOUT -> "init_timeout";
            case NEW_SESSION_CLOSING_OLD -> "new_session_closing_old";
            case SESSION_FULL -> "session_full";
            case SEND_BUFFER_OVERFLOW -> "send_buffer_overflow";
            case ACK_TIMEOUT -> "ack_timeout";
            case PONG_TIMEOUT -> "pong_timeout";
            case RATE_LIMITED -> "rate_limited";
            case CLUSTER_UNAVAILABLE -> "cluster_unavailable";
            default -> "other";
        };
    }
}
