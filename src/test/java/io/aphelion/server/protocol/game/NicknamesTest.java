package io.aphelion.server.protocol.game;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The lobby's nickname rules, without a server. */
class NicknamesTest {

    @ParameterizedTest
    @ValueSource(strings = { "a", "Z", "abc123", "a-b", "a[b]", "a\\b", "a`b", "a^b", "a{b}", "a_b", "a b", "A-[]\\`^{}_ 9" })
    void letterFirstThenAllowedCharactersIsValid(String nickname) {
        assertThat(Nicknames.isValid(nickname)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "1a", "-a", "[a", "\\a", "`a", "^a", "{a", "_a", " a", "a|b", "a.b", "a\u00e9", "\u00e9a",
            "a\u0000", "a\tb", "a\nb", "a\rb" })
    void otherNicknamesAreInvalid(String nickname) {
        assertThat(Nicknames.isValid(nickname)).isFalse();
    }

    @Test
    void nullIsInvalid() {
        assertThat(Nicknames.isValid(null)).isFalse();
    }

    @Test
    void lengthIsLimitedToMaxLength() {
        assertThat(Nicknames.isValid("a".repeat(Nicknames.MAX_LENGTH))).isTrue();
        assertThat(Nicknames.isValid("a".repeat(Nicknames.MAX_LENGTH + 1))).isFalse();
    }

    @Test
    void caseIsIgnored() {
        assertThat(Nicknames.canonical("PlayerOne")).isEqualTo(Nicknames.canonical("pLAYERoNE"));
    }

    @Test
    void bracketsBackslashAndSpaceHaveTheirEquivalents() {
        assertThat(Nicknames.canonical("a[b]c\\d e")).isEqualTo(Nicknames.canonical("A{B}C|D_E"));
    }

    @Test
    void otherCharactersStayDistinct() {
        assertThat(Nicknames.canonical("a-b")).isNotEqualTo(Nicknames.canonical("a_b"));
        assertThat(Nicknames.canonical("a^b")).isNotEqualTo(Nicknames.canonical("a~b"));
        assertThat(Nicknames.canonical("ab")).isNotEqualTo(Nicknames.canonical("a b"));
    }
}
