package io.aphelion.server.session;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import io.aphelion.wire.SessionToken;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenSourceTest {

    /** A generator whose output is a counting byte sequence, so each token's bytes can be predicted. */
    private static final class CountingRandom extends SecureRandom {
        int draws;
        private byte nextByte;

        @Override
        public void nextBytes(byte[] bytes) {
            draws++;
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = nextByte++;
            }
        }
    }

    @Test
    void eachTokenIsTheNextThirtyTwoBytesOfTheGeneratorAndOneDrawServesABlock() {
        CountingRandom random = new CountingRandom();
        TokenSource source = new TokenSource(random);
        List<SessionToken> tokens = new ArrayList<>();
        for (int i = 0; i < TokenSource.TOKENS_PER_DRAW + 1; i++) {
            tokens.add(source.next());
        }
        assertThat(random.draws).isEqualTo(2);
        for (int i = 0; i < tokens.size(); i++) {
            byte[] expected = new byte[SessionToken.LENGTH];
            for (int j = 0; j < expected.length; j++) {
                expected[j] = (byte) (i * SessionToken.LENGTH + j);
            }
            assertThat(tokens.get(i).toBytes()).as("token %d", i).isEqualTo(expected);
        }
    }

    @Test
    void noTwoTokensOfARealGeneratorAreEqualAcrossBlocks() {
        TokenSource source = new TokenSource(new SecureRandom());
        HashSet<SessionToken> seen = new HashSet<>();
        for (int i = 0; i < 10 * TokenSource.TOKENS_PER_DRAW; i++) {
            assertThat(seen.add(source.next())).isTrue();
        }
    }
}
