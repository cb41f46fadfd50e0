// Serves the lobby page and the built aphelion-client package it imports (ES modules, resolved
// by the page's import map), on 127.0.0.1 only.
//   (cd ../../clients/js && npm ci && npm run build) && node serve.mjs [port]
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "../../clients/js");

/** URL prefix to folder, first match wins. */
const ROUTES = [
  ["/lib/aphelion-client/", join(packageDir, "dist")],
  ["/lib/@bufbuild/protobuf/", join(packageDir, "node_modules/@bufbuild/protobuf/dist/esm")],
  ["/", here],
];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** The file a request path names, or undefined (outside every folder, or not a file). */
function fileFor(path) {
  for (const [prefix, folder] of ROUTES) {
    if (path.startsWith(prefix)) {
      const file = resolve(folder, "." + path.slice(prefix.length - 1) + (path.endsWith("/") ? "index.html" : ""));
      if (!file.startsWith(folder + sep)) {
        return undefined;
      }
      try {
        return statSync(file).isFile() ? file : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Starts the server on 127.0.0.1 (port 0: any free one); resolves with its port and a close function. */
export function serve(port = 0) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = request.method === "GET" ? fileFor(path) : undefined;
    if (file === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolvePort, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolvePort({ port: server.address().port, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { port } = await serve(Number(process.argv[2] ?? 8000));
  console.log(`http://127.0.0.1:${port}/?url=ws://127.0.0.1:8080/aphelion`);
}
