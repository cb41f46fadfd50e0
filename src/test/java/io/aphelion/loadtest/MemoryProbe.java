package io.aphelion.loadtest;

import java.io.IOException;

/**
 * The server's memory as a load run reads it before and after connecting, for the memory per
 * session: its JVM heap through Actuator ({@link ServerProbe}) or, for a server that is not a JVM,
 * its resident set ({@link ResidentMemory}).
 */
interface MemoryProbe {

    /** Bytes in use, after a garbage collection where the server can be asked for one. */
    long bytesAfterGc() throws IOException, InterruptedException;
}
