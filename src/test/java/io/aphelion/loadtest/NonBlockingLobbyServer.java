package io.aphelion.loadtest;

import io.aphelion.server.AphelionServerApplication;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.LobbyGameMessageService;
import io.aphelion.server.support.Scheduler;

import org.springframework.boot.SpringApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The server with the default lobby declared non-blocking ({@link GameMessageService#mayBlock()}
 * false), to measure what handling game messages on the reading thread buys (docs/BENCHMARKS.md).
 * Not a recommendation for the lobby itself: its chat goes to every player.
 *
 * <pre>
 * java -cp "$build/test-classes:$build/classes:$(cat $build/bench-classpath.txt)" \
 *      io.aphelion.loadtest.NonBlockingLobbyServer --server.port=18080 --server.address=127.0.0.1
 * </pre>
 */
@Configuration(proxyBeanMethods = false)
public class NonBlockingLobbyServer {

    @Bean
    GameMessageService nonBlockingLobby(GameSessions sessions, Scheduler scheduler) {
        return new LobbyGameMessageService(sessions, scheduler::nanoTime) {
            @Override
            public boolean mayBlock() {
                return false;
            }
        };
    }

    public static void main(String[] args) {
        SpringApplication.run(new Class<?>[] { AphelionServerApplication.class, NonBlockingLobbyServer.class }, args);
    }
}
