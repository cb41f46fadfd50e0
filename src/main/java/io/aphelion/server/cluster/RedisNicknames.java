package io.aphelion.server.cluster;

import java.util.List;

import io.aphelion.server.protocol.game.NicknameRegistry;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The lobby's nicknames in Redis, so they are unique across the cluster: {@code <prefix>nickname:<canonical>}
 * holds the id of the session that has it. Each operation is one script, atomic in Redis: of two
 * nodes racing for one name, exactly one claims it. Thread-safe; each call is a round trip (on the
 * game pool, which may block).
 *
 * @throws ClusterUnavailableException from every method when Redis fails (the lobby's call fails,
 *         is logged, and the client gets no answer to that request)
 */
final class RedisNicknames implements NicknameRegistry {

    private static final RedisScript<Long> CLAIM = RedisScript.of("""
            if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
            local holder = redis.call('GET', KEYS[1])
            local id = tonumber(holder)
            if holder == ARGV[1] or not id then
              redis.call('SET', KEYS[1], ARGV[1])
              return 0
            end
            return id
            """, Long.class);

    private static final RedisScript<Long> REPLACE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[1], ARGV[2])
            return 1
            """, Long.class);

    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """, Long.class);

    private final ClusterRedis redis;

    RedisNicknames(ClusterRedis redis) {
        this.redis = redis;
    }

    @Override
    public long claim(String key, long sessionId) {
        Long holder = redis.script("nickname-claim", CLAIM, List.of(redis.key("nickname:" + key)), String.valueOf(sessionId));
        return holder == null ? 0 : holder;
    }

    @Override
    public boolean replace(String key, long holder, long sessionId) {
        Long done = redis.script("nickname-replace", REPLACE, List.of(redis.key("nickname:" + key)), String.valueOf(holder),
                String.valueOf(sessionId));
        return done != null && done == 1;
    }

    @Override
    public void release(String key, long sessionId) {
        redis.script("nickname-release", RELEASE, List.of(redis.key("nickname:" + key)), String.valueOf(sessionId));
    }
}
