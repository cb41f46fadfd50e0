package io.aphelion.server.protocol.game;

import java.util.stream.Stream;

import com.google.protobuf.MessageLite;

/**
 * Wraps the application's {@link GameService} where it is handed to protocol 2, for concerns that
 * belong around every call (logging context, metrics, tracing). Declare a bean of this type to add
 * one; the server's own ({@code aphelionObservedGameService}: MDC and call timers) is one of them.
 * The application's bean itself stays what it is: injecting it by its own class still works.
 *
 * <p>A decorator must delegate every method, {@link GameService#c2sParser()} and
 * {@link GameService#mayBlock()} included, and keep the threading contract: it is called on the
 * thread that would call the service.
 */
public interface GameServiceDecorator {

    /** The service to use instead of {@code service}: usually one that delegates to it. */
    <C extends MessageLite, S extends MessageLite> GameService<C, S> decorate(GameService<C, S> service);

    /**
     * Applies decorators in order: the first one wraps the service, the next one wraps that, so
     * the last one is called first.
     */
    static <C extends MessageLite, S extends MessageLite> GameService<C, S> decorateAll(GameService<C, S> service,
            Stream<GameServiceDecorator> decorators) {
        GameService<C, S> decorated = service;
        for (GameServiceDecorator decorator : (Iterable<GameServiceDecorator>) decorators::iterator) {
            decorated = decorator.decorate(decorated);
        }
        return decorated;
    }
}
