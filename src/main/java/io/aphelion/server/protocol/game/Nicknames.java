package io.aphelion.server.protocol.game;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The lobby's nickname rules, as the original game had them: a letter first, then letters,
 * digits, {@code -[]\`^{}_} and space; at most {@value #MAX_LENGTH} characters. Two nicknames
 * are the same when they are equal ignoring case, with {@code [}, {@code ]}, {@code \} equal to
 * {@code {}, {@code }}, {@code |} and space equal to {@code _}.
 */
public final class Nicknames {

    /** The longest nickname accepted. */
    public static final int MAX_LENGTH = 32;

    private static final Pattern VALID = Pattern.compile("[A-Za-z][A-Za-z0-9\\-\\[\\]\\\\`^{}_ ]{0," + (MAX_LENGTH - 1) + "}");

    private Nicknames() {
    }

    /** Whether a nickname follows the rules. */
    public static boolean isValid(String nickname) {
        return nickname != null && VALID.matcher(nickname).matches();
    }

    /** The key two nicknames share exactly when they count as the same nickname. */
    public static String canonical(String nickname) {
        StringBuilder key = new StringBuilder(nickname.length());
        for (char c : nickname.toLowerCase(Locale.ROOT).toCharArray()) {
            key.append(switch (c) {
                case '[' -> '{';
                case ']' -> '}';
                case '\\' -> '|';
                case ' ' -> '_';
                default -> c;
            });
        }
        return key.toString();
    }
}
