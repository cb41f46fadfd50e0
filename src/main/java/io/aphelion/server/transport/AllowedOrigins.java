package io.aphelion.server.transport;


import java.net.URI;
import java.util.List;

import org.springframework.web.cors.CorsConfiguration;

/**
 * The browser origins allowed to open a websocket ({@code aphelion.websocket.allowed-origins}):
 * the one rule both engines apply to an upgrade's {@code Origin} header, the native engine in
 * {@code nativeengine.AphelionUpgradeHandler} and the servlet engine in {@code servletengine.AllowedOriginsInterceptor}. An
 * upgrade passes when it has no {@code Origin} (a client that is not a browser), when its origin
 * is the server's own (the scheme, host and port the request was sent to), or when a pattern
 * allows it, matched as Spring's CORS support matches {@code allowedOriginPatterns}
 * ({@code "*"}, {@code "https://*.example.com"}, {@code "https://game.test:[8080,8443]"}). Any other is
 * answered 403 with {@link #REFUSAL}.
 *
 * <p>Immutable past construction and thread-safe.
 */
public final class AllowedOrigins {

    /** The reason of the 403 answer to an upgrade from an origin that is not allowed, on both engines. */
    public static final String REFUSAL = "Origin not allowed: see aphelion.websocket.allowed-origins";

    /** Any origin, the default ({@code "*"}). */
    public static final AllowedOrigins ANY = of(List.of(CorsConfiguration.ALL));

    private static final int HTTP_PORT = 80;
    private static final int HTTPS_PORT = 443;

    private final CorsConfiguration patterns = new CorsConfiguration();

    private AllowedOrigins(List<String> patterns) {
        this.patterns.setAllowedOriginPatterns(patterns);
    }

    /** The origins these patterns allow (besides the server's own). */
    public static AllowedOrigins of(List<String> patterns) {
        return new AllowedOrigins(List.copyOf(patterns));
    }

    /**
     * Whether an upgrade with this {@code Origin} header, sent to {@code scheme://host:port}, may
     * be upgraded.
     *
     * @param origin the {@code Origin} header, or null when the request has none
     * @param port the request's port, or -1 for the scheme's default
     */
    public boolean allows(String origin, String scheme, String host, int port) {
        return allowsByPattern(origin) || sameOrigin(origin, scheme, host, port);
    }

    /**
     * Whether the patterns alone allow this {@code Origin} header (null, no header, passes): for
     * the native engine's early upgrade, which does not know the request's own origin yet and
     * leaves any other request to {@link #allows}.
     */
    public boolean allowsByPattern(String origin) {
        return origin == null || patterns.checkOrigin(origin) != null;
    }

    /** Whether {@code origin} is {@code scheme://host:port}, the target of the request itself. */
    static boolean sameOrigin(String origin, String scheme, String host, int port) {
        if (origin == null || scheme == null || host == null) {
            return false;
        }
        try {
            URI uri = URI.create(origin);
            return uri.getScheme() != null && uri.getHost() != null
                    && uri.getScheme().equalsIgnoreCase(scheme)
                    && uri.getHost().equalsIgnoreCase(host)
                    && port(uri.getScheme(), uri.getPort()) == port(scheme, port);
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }

    private static int port(String scheme, int port) {
        if (port > 0) {
            return port;
        }
        return "https".equalsIgnoreCase(scheme) || "wss".equalsIgnoreCase(scheme) ? HTTPS_PORT : HTTP_PORT;
    }

    @Override
    public String toString() {
        return "AllowedOrigins" + patterns.getAllowedOriginPatterns();
    }
}
