package io.aphelion.server.observability;

import io.aphelion.server.observability.AphelionSessionsEndpoint.SessionDescriptor;

import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The web's answer to closing a session that is not live: 404, where Actuator would answer a
 * delete that returns nothing with 204 (as if it had closed something). The reads are the
 * endpoint's own; a read of an unknown id is already 404.
 */
@EndpointWebExtension(endpoint = AphelionSessionsEndpoint.class)
public class AphelionSessionsEndpointWebExtension {

    private final AphelionSessionsEndpoint endpoint;

    public AphelionSessionsEndpointWebExtension(AphelionSessionsEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** {@link AphelionSessionsEndpoint#close}: 200 with the session closed, or 404. */
    @DeleteOperation
    public WebEndpointResponse<SessionDescriptor> close(@Selector long id) {
        SessionDescriptor closed = endpoint.close(id);
        return closed != null ? new WebEndpointResponse<>(closed, WebEndpointResponse.STATUS_OK)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
}
