package io.aphelion.server.cluster;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The cluster's one way to Redis: every command goes through {@link #call}, which times it
 * ({@code aphelion.cluster.redis} timer, by operation) and counts its failures
 * ({@code aphelion.cluster.redis.errors}), and turns any failure into a
 * {@link ClusterUnavailableException}, so callers have one exception to answer with 4105 or to
 * log. Keys and channels all start with {@code aphelion.cluster.key-prefix}.
 *
 * <p>Redis must be a standalone server (or one behind Sentinel): the scripts touch keys they
 * compute, which Redis Cluster does not allow. Thread-safe (Lettuce shares one connection).
 */
final class ClusterRedis {

    private final StringRedisTemplate strings;
    private final RedisTemplate<String, byte[]> bytes;
    private final String prefix;
    private final MeterRegistry meters;
    private final Counter errors;

    ClusterRedis(StringRedisTemplate strings, RedisTemplate<String, byte[]> bytes, String prefix, MeterRegistry meters) {
        this.strings = strings;
        this.bytes = bytes;
        this.prefix = prefix;
        this.meters = meters;
        this.errors = Counter.builder("aphelion.cluster.redis.errors")
                .description("Redis commands of the cluster that failed (Redis unreachable, timed out, or refused)")
                .register(meters);
    }

    /** The key prefix, e.g. {@code aphelion:}. */
    String prefix() {
        return prefix;
    }

    /** A key or channel under the prefix. */
    String key(String name) {
        return prefix + name;
    }

    StringRedisTemplate strings() {
        return strings;
    }

    RedisTemplate<String, byte[]> bytes() {
        return bytes;
    }

    /** Fields of a hash, in the order asked (null for a missing one; all null for a missing hash). */
    List<String> fields(String operation, String key, String... fields) {
        return call(operation, () -> strings.<String, String>opsForHash().multiGet(key, List.of(fields)));
    }

    /** One field of a hash, or null. */
    String field(String operation, String key, String field) {
        return call(operation, () -> strings.<String, String>opsForHash().get(key, field));
    }

    /** Runs a script on string keys and arguments. */
    <T> T script(String operation, RedisScript<T> script, List<String> keys, Object... args) {
        return call(operation, () -> strings.execute(script, keys, args));
    }

    /**
     * Runs one Redis operation, timed under {@code operation}.
     *
     * @throws ClusterUnavailableException when Redis failed or could not be reached
     */
    <T> T call(String operation, Supplier<T> command) {
        long start = System.nanoTime();
        try {
            return command.get();
        }
        catch (RuntimeException ex) {
            errors.increment();
            throw new ClusterUnavailableException("Redis " + operation + " failed: " + ex.getMessage(), ex);
        }
        finally {
            Timer.builder("aphelion.cluster.redis")
                    .description("Round trips of the cluster's Redis commands")
                    .tag("operation", operation)
                    .register(meters)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
