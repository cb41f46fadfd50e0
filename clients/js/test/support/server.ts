import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Start-up of a server JVM on a loaded 2-core machine. */
const STARTUP_MS = 120_000;

/** SIGTERM gives the server its shutdown timeout (2 s here) and Jetty's stop; then SIGKILL. */
const STOP_MS = 20_000;

/** The server jar: $APHELION_JAR, else the one `./mvnw package` makes at the repo's top. */
export function serverJar(): string {
  const jar = resolve(packageDir, process.env.APHELION_JAR ?? "../../target/aphelion-server-1.0.0-SNAPSHOT-exec.jar");
  if (!existsSync(jar)) {
    throw new Error(`No server jar at ${jar}: run ./mvnw -B -DskipTests package at the repo's top, or set APHELION_JAR`);
  }
  return jar;
}

/** A port nobody listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * The real server, `java -jar` on 127.0.0.1 and a port of its own, started and stopped by the
 * test. Its output goes to a log file, shown by {@link log} when a test needs it.
 */
export class AphelionServer {
  readonly port: number;
  readonly #args: string[];
  readonly #logFile: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, args: string[]) {
    this.port = port;
    this.#args = args;
    this.#logFile = join(mkdtempSync(join(tmpdir(), "aphelion-server-")), "server.log");
  }

  /** Starts a server and waits until it is ready. */
  static async start(args: string[] = []): Promise<AphelionServer> {
    const server = new AphelionServer(await freePort(), args);
    await server.restart();
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/aphelion`;
  }

  /** Starts the server (again) on the same port and waits for its readiness endpoint. */
  async restart(): Promise<void> {
    if (this.#process) {
      throw new Error("The server is running");
    }
    const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
    const child = spawn(java, [
      "-Xmx256m",
      "-XX:TieredStopAtLevel=1",
      "-jar", serverJar(),
      `--server.port=${this.port}`,
      "--server.address=127.0.0.1",
      "--aphelion.shutdown.timeout=2s",
      ...this.#args,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(this.#logFile, { flags: "a" });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.#process = child;
    const deadline = Date.now() + STARTUP_MS;
    while (!(await this.#ready())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await this.stop();
        throw new Error(`The server did not start (exit ${child.exitCode}):\n${this.log()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the server as an orchestrator does (SIGTERM: clients get 1001), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) {
      return;
    }
    this.#process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
    await exited;
    clearTimeout(timer);
  }

  /** What the server printed so far. */
  log(): string {
    return existsSync(this.#logFile) ? readFileSync(this.#logFile, "utf8") : "";
  }

  async #ready(): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/actuator/health/readiness`);
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
