/**
 * A tiny HTTP server for browser tests, on 127.0.0.1 with a random port. Chromium reaches it
 * under several names (a.test, b.test, ...) through `--host-resolver-rules`, so one server
 * gives the tests as many origins as they need.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

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

export async function startTestServer(): Promise<TestServer> {
  const server: Server = createServer((request, response) => {
    if (request.url === "/favicon.ico") {
      response.writeHead(204).end();
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
