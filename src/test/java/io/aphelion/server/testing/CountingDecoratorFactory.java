package io.aphelion.server.testing;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.handler.WebSocketHandlerDecoratorFactory;

/**
 * A decorator an application would declare (as a {@link WebSocketHandlerDecoratorFactory} bean):
 * it counts the websockets it sees open and close and the binary messages it passes on, and while
 * {@link #refuseNewWebSockets} is on, closes each new websocket with 1008 before the Aphelion
 * handler hears of it. Thread-safe.
 */
public final class CountingDecoratorFactory implements WebSocketHandlerDecoratorFactory {

    /** The reason of the 1008 close a refused websocket gets. */
    public static final String REFUSED = "Refused by the application's decorator";

    private final AtomicInteger established = new AtomicInteger();
    private final AtomicInteger binaryMessages = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private volatile boolean refusing;

    @Override
    public WebSocketHandler decorate(WebSocketHandler handler) {
        return new WebSocketHandlerDecorator(handler) {
            @Override
            public void afterConnectionEstablished(WebSocketSession session) throws Exception {
                established.incrementAndGet();
                if (refusing) {
                    session.close(CloseStatus.POLICY_VIOLATION.withReason(REFUSED));
                    return;
                }
                super.afterConnectionEstablished(session);
            }

            @Override
            public void handleMessage(WebSocketSession session, WebSocketMessage<?> message) throws Exception {
                if (message instanceof BinaryMessage) {
                    binaryMessages.incrementAndGet();
                }
                super.handleMessage(session, message);
            }

            @Override
            public void afterConnectionClosed(WebSocketSession session, CloseStatus status) throws Exception {
                closed.incrementAndGet();
                super.afterConnectionClosed(session, status);
            }
        };
    }

    /** While on, every new websocket is closed with 1008 ({@link #REFUSED}). */
    public void refuseNewWebSockets(boolean on) {
        refusing = on;
    }

    public int established() {
        return established.get();
    }

    public int binaryMessages() {
        return binaryMessages.get();
    }

    public int closed() {
        return closed.get();
    }
}
