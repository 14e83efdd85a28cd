/**
 * A tiny HTTP server for browser tests, on 127.0.0.1 with a random port. Chromium reaches it
 * under several names (a.test, b.test, ...) through `--host-resolver-rules`, so one server
 * gives the tests as many origins as they need. It serves one test page, or a built site's folder.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

export const HOST_RESOLVER_RULES = "--host-resolver-rules=MAP *.test 127.0.0.1";

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Reliable Channel test page</title>
<script>
  // A page script that runs as early as a page can: it must still find the provider, through
  // the discovery events, without racing the extension.
  window.__announced = [];
  window.addEventListener("reliableChannel:announceProvider", (event) => window.__announced.push(event.detail));
  window.dispatchEvent(new Event("reliableChannel:requestProvider"));
</script></head>
<body><h1>test page</h1></body></html>`;

export interface TestServer {
  port: number;
  /** `http://<host>:<port><path>`, e.g. url("a.test"). */
  url(host: string, path?: string): string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

export interface TestServerOptions {
  /** Serve this folder's files (a built site: "/" is its index.html) instead of the test page. */
  staticDir?: string;
}

/** A file of `root` for a request path, or undefined when the path leaves it or names nothing. */
async function staticFile(root: string, url: string): Promise<{ body: Buffer; type: string } | undefined> {
  const path = decodeURIComponent(new URL(url, "http://x").pathname);
  const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  const body = await readFile(file).catch(() => undefined);
  return body && { body, type: CONTENT_TYPES[extname(file)] ?? "application/octet-stream" };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { staticDir } = options;
  const server: Server = createServer((request, response) => {
    if (request.url === "/favicon.ico") {
      response.writeHead(204).end();
      return;
    }
    if (staticDir) {
      void staticFile(normalize(staticDir), request.url ?? "/").then((found) => {
        if (!found) response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        else response.writeHead(200, { "content-type": found.type, "cache-control": "no-store" }).end(found.body);
      });
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (host, path = "/") => `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
