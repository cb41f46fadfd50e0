// The lobby page of examples/browser, built on this package (dist/, unbundled), in real headless
// Chromium (Debian's /usr/bin/chromium; never a downloaded browser) against the real server jar.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { serve } from "../../../../examples/browser/serve.mjs";
import { AphelionServer } from "../support/server.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Long enough for a loaded 2-core machine; a condition that holds ends the wait at once. */
const WAIT_MS = 30_000;

let server: AphelionServer;
let proxy: TcpProxy;
let site: { port: number; close(): Promise<void> };
let profile: string;
let browser: BrowserContext;
/** Alice's page goes through the proxy the test cuts; Bob's goes straight to the server. */
let alice: Page;
let bob: Page;
const pageErrors: string[] = [];

interface LobbyState {
  token: string | null;
  events: string[];
  playing: boolean;
}

beforeAll(async () => {
  server = await AphelionServer.start();
  proxy = await TcpProxy.start(server.port);
  site = await serve(0);
  profile = mkdtempSync(join(tmpdir(), "aphelion-chromium-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  alice = await openLobby(proxy.port);
  bob = await openLobby(server.port);
});

afterAll(async () => {
  await browser?.close();
  if (profile) {
    rmSync(profile, { recursive: true, force: true });
  }
  await site?.close();
  await proxy?.close();
  await server?.stop();
});

async function openLobby(serverPort: number): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) {
      pageErrors.push(`${response.status()} for ${response.url()}`);
    }
  });
  page.on("console", (message) => {
    // A failed websocket attempt is logged by the browser itself; reconnecting is expected here.
    const text = message.text();
    if (message.type() === "error" && !text.startsWith("WebSocket connection to") && !text.startsWith("Failed to load resource")) {
      pageErrors.push(message.text());
    }
  });
  await page.goto(`http://127.0.0.1:${site.port}/?url=ws://127.0.0.1:${serverPort}/aphelion`);
  return page;
}

function state(page: Page): Promise<LobbyState> {
  return page.evaluate(() => {
    const lobby = (window as unknown as { lobby: LobbyState }).lobby;
    return { token: lobby.token, events: [...lobby.events], playing: lobby.playing };
  });
}

function chat(page: Page): Promise<string[]> {
  return page.locator("#chat li:not(.notice)").allTextContents();
}

/** Waits until `line` shows in the page's chat at least `times` times. */
async function seen(page: Page, line: string, times = 1): Promise<void> {
  await page.waitForFunction(
    ([text, count]) => [...document.querySelectorAll("#chat li")].filter((li) => li.textContent === text).length >= count,
    [line, times] as const,
    { timeout: WAIT_MS, polling: 50 },
  );
}

/** Waits until the page's event list holds `name` `times` times. */
async function happened(page: Page, name: string, times = 1): Promise<void> {
  await page.waitForFunction(
    ([event, count]) => (window as unknown as { lobby: LobbyState }).lobby.events.filter((e) => e === event).length >= count,
    [name, times] as const,
    { timeout: WAIT_MS, polling: 50 },
  );
}

async function joinLobby(page: Page, nickname: string): Promise<void> {
  await page.fill("#nickname", nickname);
  await page.click("#join-button");
  await page.waitForFunction((text) => document.getElementById("status")?.textContent === text, `playing as ${nickname}`, {
    timeout: WAIT_MS,
  });
}

async function say(page: Page, message: string): Promise<void> {
  await page.fill("#message", message);
  await page.press("#message", "Enter");
}

describe("the lobby page in headless Chromium", () => {
  it("joins the lobby with a nickname and chats between two pages, the round trip shown live", { timeout: 90_000 }, async () => {
    await joinLobby(alice, "Alice");
    await joinLobby(bob, "Bob");
    await say(alice, "hello from Alice");
    await seen(alice, "Alice: hello from Alice");
    await seen(bob, "Alice: hello from Alice");
    await say(bob, "hi Alice");
    await seen(alice, "Bob: hi Alice");
    await alice.waitForFunction(() => /^\d+\.\d ms$/.test(document.getElementById("rtt")?.textContent ?? ""), null, {
      timeout: WAIT_MS,
    });
    await alice.waitForFunction(() => /^\d+\.\d ms$/.test(document.getElementById("ack-rtt")?.textContent ?? ""), null, {
      timeout: WAIT_MS,
    });
    expect(await alice.locator("#connections").textContent()).toBe("2");
    expect(pageErrors).toEqual([]);
  });

  it("survives a drop of its connections: the same token back and the unacked chat sent again", { timeout: 90_000 }, async () => {
    const before = await state(alice);
    // Alice stops acking, so the server keeps Bob's next line as unacked for her.
    await alice.evaluate(() => {
      (window as unknown as { lobby: { session: { autoAck: boolean } } }).lobby.session.autoAck = false;
    });
    await say(bob, "while you were away");
    await seen(alice, "Bob: while you were away");

    proxy.cut();
    await happened(alice, "reconnect");
    await seen(alice, "Bob: while you were away", 2); // sent again by the server on the resumed session
    const after = await state(alice);
    expect(after.token).toBe(before.token);
    expect(after.events).not.toContain("new-session");
    expect(after.events).toContain("connection-close 1006");

    await alice.evaluate(() => {
      (window as unknown as { lobby: { session: { autoAck: boolean } } }).lobby.session.autoAck = true;
    });
    await say(alice, "back again");
    await seen(bob, "Alice: back again"); // still Alice: the session kept its nickname
    expect(pageErrors).toEqual([]);
  });

  it("survives a server restart: a new session, onNewSession, and the page joins again", async () => {
    const [aliceBefore, bobBefore] = [await state(alice), await state(bob)];
    await server.stop();
    await server.restart();
    for (const page of [alice, bob]) {
      await happened(page, "new-session");
      await happened(page, "authenticated", 2);
    }
    const [aliceAfter, bobAfter] = [await state(alice), await state(bob)];
    expect(aliceAfter.token).not.toBe(aliceBefore.token);
    expect(bobAfter.token).not.toBe(bobBefore.token);
    expect(aliceAfter.events.filter((e) => e === "new-session")).toHaveLength(1);
    expect(aliceAfter.playing && bobAfter.playing).toBe(true);

    await say(alice, "after the restart");
    await seen(bob, "Alice: after the restart");
    expect((await chat(bob)).filter((line) => line === "Alice: after the restart")).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
