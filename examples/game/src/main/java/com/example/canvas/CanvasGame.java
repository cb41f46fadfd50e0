package com.example.canvas;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.example.canvas.proto.CanvasC2S;
import com.example.canvas.proto.CanvasS2C;
import com.example.canvas.proto.Paint;
import com.example.canvas.proto.Stroke;
import com.google.protobuf.Parser;

import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.protocol.game.GameSessions;

import org.springframework.stereotype.Component;

/**
 * A shared canvas of {@value #SIZE} x {@value #SIZE} cells: a player joins under a name and gets the
 * canvas as it is; every cell painted goes to every player who joined. The game's own messages
 * ({@code canvas.proto}), so a {@link GameService} over them replaces the server's default lobby.
 */
@Component
public class CanvasGame implements GameService<CanvasC2S, CanvasS2C> {

    /** Cells per side. */
    static final int SIZE = 64;

    private final GameSessions sessions;
    /** The last stroke of each painted cell, by cell index. */
    private final Map<Integer, Stroke> canvas = new ConcurrentHashMap<>();

    public CanvasGame(GameSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Parser<CanvasC2S> c2sParser() {
        return CanvasC2S.parser();
    }

    @Override
    public void onMessage(GameSession<CanvasS2C> session, CanvasC2S message) {
        if (message.hasJoin() && session.attachment() == null) {
            session.attachment(message.getJoin());
            session.send(CanvasS2C.newBuilder().setSize(SIZE).addAllCanvas(canvas.values()).build());
        }
        if (message.hasPaint()) {
            paint(session, message.getPaint());
        }
    }

    private void paint(GameSession<CanvasS2C> session, Paint paint) {
        if (session.attachment() == null) {
            session.send(CanvasS2C.newBuilder().setRefused("Join before you paint").build());
            return;
        }
        if (paint.getX() >= SIZE || paint.getY() >= SIZE) {
            session.send(CanvasS2C.newBuilder().setRefused("Off the canvas: " + paint.getX() + "," + paint.getY()).build());
            return;
        }
        Stroke stroke = Stroke.newBuilder().setPaint(paint).setPainter((String) session.attachment()).build();
        canvas.put(paint.getY() * SIZE + paint.getX(), stroke);
        CanvasS2C update = CanvasS2C.newBuilder().setStroke(stroke).build();
        sessions.broadcast(update, other -> other.attachment() != null, io.aphelion.server.session.Delivery.RELIABLE);
    }
}
