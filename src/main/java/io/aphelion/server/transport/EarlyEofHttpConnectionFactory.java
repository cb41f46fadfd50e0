package io.aphelion.server.transport;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Jetty's HTTP/1.1 connection factory, with one difference: a request the client abandoned half
 * way (its socket ended before the request did: an upgrade request cut off, a slowloris giving
 * up) is closed at once, instead of being answered 400.
 *
 * <p>Why: Jetty answers such a request by running its error handling as a blocking task
 * "immediately", and when no reserved thread is free it starts a new thread for each one
 * ({@code jetty-immediate-executor}). A burst of 2,000 abandoned requests closing together took
 * the server from about 220 to 750 threads. The 400 could not reach anyone anyway: the client's
 * side of the socket is already shut. Every other bad request is answered as Jetty answers it.
 *
 * <p>Registered on each connector in place of Jetty's own factory, with its configuration.
 */
public final class EarlyEofHttpConnectionFactory extends HttpConnectionFactory {

    public EarlyEofHttpConnectionFactory(HttpConfiguration configuration) {
        super(configuration);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        HttpConnection connection = new EarlyEofHttpConnection(getHttpConfiguration(), connector, endPoint);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    /** An HTTP connection that closes, rather than answers, a request cut off by the client's end of stream. */
    static final class EarlyEofHttpConnection extends HttpConnection {

        EarlyEofHttpConnection(HttpConfiguration configuration, Connector connector, EndPoint endPoint) {
            super(configuration, connector, endPoint);
        }

        @Override
        protected RequestHandler newRequestHandler() {
            return new RequestHandler() {
                @Override
                public void badMessage(HttpException failure) {
                    if (getParser().isAtEOF()) {
                        getEndPoint().close();
                        return;
                    }
                    super.badMessage(failure);
                }
            };
        }
    }
}
