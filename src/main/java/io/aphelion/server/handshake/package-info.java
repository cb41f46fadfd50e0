/**
 * The init packet: which protocols are served, which versions, and which session a connection
 * joins (docs/PRODUCT.md "Handshake").
 */
package io.aphelion.server.handshake;
