package io.aphelion.server.protocol.game;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which session holds each nickname, by its canonical key ({@link Nicknames#canonical}): in this
 * process ({@link #inMemory()}), or, in cluster mode, in Redis, so that nicknames are unique across
 * the cluster (two nodes racing for one name: exactly one wins). Session ids are never 0.
 * Thread-safe; each operation is atomic.
 */
public interface NicknameRegistry {

    /**
     * Takes {@code key} for {@code sessionId} unless someone holds it.
     *
     * @return 0 when {@code sessionId} holds it now, else the id of the session that does
     */
    long claim(String key, long sessionId);

    /** Hands {@code key} from {@code holder} to {@code sessionId}, if {@code holder} still holds it. */
    boolean replace(String key, long holder, long sessionId);

    /** Frees {@code key} if {@code sessionId} holds it. */
    void release(String key, long sessionId);

    /** Nicknames of this process alone (a single node). */
    static NicknameRegistry inMemory() {
        ConcurrentHashMap<String, Long> holders = new ConcurrentHashMap<>();
        return new NicknameRegistry() {

            @Override
            public long claim(String key, long sessionId) {
                Long holder = holders.putIfAbsent(key, sessionId);
                return holder == null || holder == sessionId ? 0 : holder;
            }

            @Override
            public boolean replace(String key, long holder, long sessionId) {
                return holders.replace(key, holder, sessionId);
            }

            @Override
            public void release(String key, long sessionId) {
                holders.remove(key, sessionId);
            }
        };
    }
}
