/**
 * Protocol 2, game: the {@link io.aphelion.server.protocol.game.GameMessageService} SPI that
 * applications implement, the {@link io.aphelion.server.protocol.game.GameSession} handle it
 * works through, {@link io.aphelion.server.protocol.game.GameSessions} to reach other sessions,
 * and the default {@link io.aphelion.server.protocol.game.LobbyGameMessageService}.
 */
package io.aphelion.server.protocol.game;
