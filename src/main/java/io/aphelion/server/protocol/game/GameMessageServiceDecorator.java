package io.aphelion.server.protocol.game;

import java.util.stream.Stream;

/**
 * Wraps the application's {@link GameMessageService} where it is handed to protocol 2, for
 * concerns that belong around every call (logging context, metrics, tracing). Declare a bean of
 * this type to add one; the server's own ({@code aphelionObservedGameMessageService}: MDC and call
 * timers) is one of them. The application's bean itself stays what it is: injecting it by its own
 * class still works.
 *
 * <p>A decorator must delegate every method, {@link GameMessageService#mayBlock()} included, and
 * keep the threading contract: it is called on the thread that would call the service.
 */
@FunctionalInterface
public interface GameMessageServiceDecorator {

    /** The service to use instead of {@code service}: usually one that delegates to it. */
    GameMessageService decorate(GameMessageService service);

    /**
     * Applies decorators in order: the first one wraps the service, the next one wraps that, so
     * the last one is called first.
     */
    static GameMessageService decorateAll(GameMessageService service, Stream<GameMessageServiceDecorator> decorators) {
        GameMessageService[] decorated = { service };
        decorators.forEachOrdered(decorator -> decorated[0] = decorator.decorate(decorated[0]));
        return decorated[0];
    }
}
