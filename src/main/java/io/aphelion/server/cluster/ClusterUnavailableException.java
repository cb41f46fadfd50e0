package io.aphelion.server.cluster;

/** Redis, which holds the cluster's state, failed or could not be reached. */
public class ClusterUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ClusterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
