package io.aphelion.server.transport.nativeengine;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;

/**
 * The native engine's early upgrade: registered on the connector for the {@code websocket}
 * upgrade token, so Jetty's HTTP/1.1 parser offers each {@code Upgrade: websocket} request to
 * {@link AphelionUpgradeHandler#upgradeEarly} as soon as its headers are read, before the request
 * reaches any handler. A valid upgrade on the Aphelion path is answered there (Jetty writes the
 * 101 and swaps the socket over); everything else returns null and continues through the
 * handlers as an ordinary request. It is never a connector's protocol of its own.
 *
 * <p>Thread-safe; called on a Jetty thread per upgrade request.
 */
public final class AphelionUpgradeConnectionFactory extends AbstractConnectionFactory implements ConnectionFactory.Upgrading {

    /** The {@code Upgrade} token this factory is offered (Jetty matches it exactly). */
    public static final String PROTOCOL = "websocket";

    private final AphelionUpgradeHandler upgrades;

    public AphelionUpgradeConnectionFactory(AphelionUpgradeHandler upgrades) {
        super(PROTOCOL);
        this.upgrades = upgrades;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        throw new UnsupportedOperationException("Websockets start with an HTTP/1.1 upgrade, never as a connector's first protocol");
    }

    @Override
    public Connection upgradeConnection(Connector connector, EndPoint endPoint, MetaData.Request request,
            HttpFields.Mutable responseFields) {
        return upgrades.upgradeEarly(connector, endPoint, request, responseFields);
    }
}
