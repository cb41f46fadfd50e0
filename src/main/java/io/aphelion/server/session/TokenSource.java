package io.aphelion.server.session;

import java.security.SecureRandom;

import io.aphelion.wire.SessionToken;

/**
 * New session tokens, 32 bytes each, drawn from one {@link SecureRandom} in blocks of
 * {@link #TOKENS_PER_DRAW} tokens: one call into the CSPRNG (and, with the default {@code NativePRNG},
 * one read of {@code /dev/urandom}) per block instead of per token. Every byte drawn goes into
 * exactly one token, so tokens are as unguessable as the generator's output.
 *
 * <p>Thread-safe: {@link #next} is guarded by this object's monitor (a copy of 32 bytes, plus one
 * draw per {@link #TOKENS_PER_DRAW} calls).
 */
final class TokenSource {

    /** Tokens drawn from the generator at once: 2 KiB, one read on Linux's {@code NativePRNG}. */
    static final int TOKENS_PER_DRAW = 64;

    private final SecureRandom random;
    /** Drawn bytes; those before {@link #next} were handed out (guarded by this). */
    private final byte[] block = new byte[TOKENS_PER_DRAW * SessionToken.LENGTH];
    /** Offset of the next unused token in {@link #block}; {@code block.length} when all are used (guarded by this). */
    private int next = block.length;

    TokenSource(SecureRandom random) {
        this.random = random;
    }

    /** A new random token, never handed out before. */
    synchronized SessionToken next() {
        if (next == block.length) {
            random.nextBytes(block);
            next = 0;
        }
        SessionToken token = SessionToken.of(block, next);
        next += SessionToken.LENGTH;
        return token;
    }
}
