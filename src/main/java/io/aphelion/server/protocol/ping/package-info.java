/** Protocol 1, ping: served by the server itself, statelessly. */
package io.aphelion.server.protocol.ping;
