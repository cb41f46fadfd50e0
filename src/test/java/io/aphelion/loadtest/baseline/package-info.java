/**
 * The baseline server for the comparison: the transport's framing on raw Netty, nothing else.
 */
package io.aphelion.loadtest.baseline;
