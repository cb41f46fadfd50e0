/**
 * The init packet: which protocols are served, which versions, and which session a connection
 * joins (PRODUCT.md "Handshake").
 */
package io.aphelion.server.handshake;
