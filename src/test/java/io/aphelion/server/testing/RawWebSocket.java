package io.aphelion.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A websocket client over a plain socket, for tests that need what no polite client does: never
 * answering pings, reading nothing, sending frames of any size. Frames are written masked, as a
 * client must. Not thread-safe.
 */
public final class RawWebSocket implements AutoCloseable {

    /** A frame read from the server. */
    public record Frame(int opcode, byte[] payload) {

        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    public static final int BINARY = 0x2;
    public static final int TEXT = 0x1;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final SecureRandom random = new SecureRandom();

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a websocket to {@code path} on 127.0.0.1:port; extra header lines may be given ("Name: value"). */
    public static RawWebSocket connect(int port, String path, String... headers) throws IOException {
        return upgrade(new Socket("127.0.0.1", port), port, path, headers);
    }

    /**
     * As {@link #connect(int, String, String...)}, from a chosen local address (e.g. 127.0.0.2, so
     * that the client can be told apart from a proxy on 127.0.0.1).
     */
    public static RawWebSocket connectFrom(InetAddress localAddress, int port, String path, String... headers)
            throws IOException {
        return upgrade(new Socket(InetAddress.getByName("127.0.0.1"), port, localAddress, 0), port, path, headers);
    }

    /**
     * As {@link #connect(int, String, String...)}, with the upgrade request sent in two halves
     * {@code between} apart (a slow client: the HTTP part of the way to the init packet takes that long).
     */
    public static RawWebSocket connectSlowly(int port, String path, Duration between) throws IOException {
        return upgrade(new Socket("127.0.0.1", port), port, path, between);
    }

    private static RawWebSocket upgrade(Socket socket, int port, String path, String... headers) throws IOException {
        return upgrade(socket, port, path, Duration.ZERO, headers);
    }

    private static RawWebSocket upgrade(Socket socket, int port, String path, Duration between, String... headers)
            throws IOException {
        socket.setSoTimeout(15_000);
        RawWebSocket ws = new RawWebSocket(socket);
        String key = Base64.getEncoder().encodeToString(new byte[16]);
        StringBuilder request = new StringBuilder()
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        request.append("\r\n");
        byte[] bytes = request.toString().getBytes(StandardCharsets.US_ASCII);
        if (between.isZero()) {
            ws.out.write(bytes);
        }
        else {
            ws.out.write(bytes, 0, bytes.length / 2);
            ws.out.flush();
            org.awaitility.Awaitility.await().pollDelay(between).atMost(between.plusSeconds(5)).until(() -> true);
            ws.out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
        }
        ws.out.flush();
        String status = ws.readHeaders();
        if (!status.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("Upgrade refused: " + status);
        }
        return ws;
    }

    /**
     * The HTTP status line of an upgrade attempt to {@code path}, with extra header lines (for
     * upgrades that must be refused).
     */
    public static String upgradeStatus(int port, String path, String... headers) throws IOException {
        try {
            RawWebSocket ws = connect(port, path, headers);
            ws.close();
            return "HTTP/1.1 101";
        }
        catch (IOException ex) {
            return ex.getMessage().replace("Upgrade refused: ", "");
        }
    }

    private String readHeaders() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("Connection closed during upgrade");
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        return text.substring(0, text.indexOf('\r'));
    }

    /** Sends one masked frame. */
    public void send(int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        }
        else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        }
        else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] mask = new byte[4];
        random.nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    public void sendBinary(byte[] payload) throws IOException {
        send(BINARY, payload);
    }

    /** Reads the next frame (any opcode), or null when the socket closed or nothing came in time. */
    public Frame read() throws IOException {
        try {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            int second = in.readUnsignedByte();
            long length = second & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            }
            else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return new Frame(first & 0x0F, payload);
        }
        catch (SocketTimeoutException | java.io.EOFException | java.net.SocketException ex) {
            return null;
        }
    }

    /** Reads frames until a close frame (pings are not answered); null when none came. */
    public Frame readUntilClose() throws IOException {
        Frame frame;
        while ((frame = read()) != null) {
            if (frame.opcode() == CLOSE) {
                return frame;
            }
        }
        return null;
    }

    /** Reads frames until one with this opcode. */
    public Frame readUntil(int opcode) throws IOException {
        Frame frame;
        while ((frame = read()) != null) {
            if (frame.opcode() == opcode) {
                return frame;
            }
        }
        return null;
    }

    public void setReadTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** The socket's receive buffer stays unread: nothing is consumed until the test reads. */
    public InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
