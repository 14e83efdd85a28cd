/**
 * HTTP/JSON view of the control plane, on 127.0.0.1 only.
 *
 *   GET    /status                          all nodes: knobs, peer counts, message counts
 *   GET    /nodes/:i                        one node
 *   PATCH  /nodes/:i/faults/:protocol       body {dropRate?, delayMs?, forceStatus?} -> knobs in force
 *   DELETE /nodes/:i/faults[/:protocol]     clear knobs
 *   POST   /nodes/:i/offline | /online      close + refuse connections | accept again
 *   POST   /nodes/:i/relay/off | /relay/on  leave the relay mesh | join it again
 *   POST   /nodes/:i/store/wipe             empty the archive
 *   POST   /nodes/:i/restart                same peer id and port
 *
 * Guarantees: every response is JSON; errors are {"error": "..."} with 400 (bad JSON / knob),
 * 404 (unknown route or node), 405 (wrong method), 413 (body over 64 KiB) or 500. A failing
 * request never stops the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UnknownNodeError, type DevnetControl } from "./control.js";
import { FaultConfigError, isFaultProtocol } from "./faults.js";

const MAX_BODY_BYTES = 64 * 1024;

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControlServer(control: DevnetControl, port: number): Promise<ControlServer> {
  const server = createServer((req, res) => {
    void handle(control, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
      }),
  };
}

async function handle(control: DevnetControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = await route(control, req);
    send(res, 200, body ?? { ok: true });
  } catch (err) {
    if (err instanceof HttpError) send(res, err.status, { error: err.message });
    else if (err instanceof UnknownNodeError) send(res, 404, { error: err.message });
    else if (err instanceof FaultConfigError) send(res, 400, { error: err.message });
    else send(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
}

async function route(control: DevnetControl, req: IncomingMessage): Promise<unknown> {
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://localhost").pathname.split("/").filter((p) => p !== "");
  if (path.length === 1 && path[0] === "status") {
    expect(method, "GET");
    return control.status();
  }
  if (path[0] !== "nodes" || path[1] === undefined) throw new HttpError(404, `no route ${method} /${path.join("/")}`);
  const index = Number(path[1]);
  if (!/^\d+$/.test(path[1])) throw new HttpError(404, `node index must be a number, got "${path[1]}"`);
  const rest = path.slice(2).join("/");
  if (rest === "") {
    expect(method, "GET");
    return control.node(index).status();
  }
  if (path[2] === "faults") {
    const protocol = path[3];
    if (protocol !== undefined && !isFaultProtocol(protocol)) throw new HttpError(404, `unknown protocol "${protocol}"`);
    if (method === "DELETE" && path.length <= 4) {
      control.resetFaults(index, protocol);
      return control.node(index).faults.all();
    }
    if ((method === "PATCH" || method === "POST" || method === "PUT") && protocol !== undefined && path.length === 4) {
      return control.setFaults(index, protocol, (await readJson(req)) as Record<string, unknown>);
    }
    throw new HttpError(405, `use PATCH /nodes/:i/faults/:protocol or DELETE /nodes/:i/faults[/:protocol]`);
  }
  switch (rest) {
    case "offline":
      expect(method, "POST");
      await control.setOffline(index, true);
      return control.node(index).status();
    case "online":
      expect(method, "POST");
      await control.setOffline(index, false);
      return control.node(index).status();
    case "relay/off":
    case "relay/on":
      expect(method, "POST");
      await control.setRelay(index, rest === "relay/on");
      return control.node(index).status();
    case "store/wipe":
      expect(method, "POST");
      await control.wipeStore(index);
      return control.node(index).status();
    case "restart":
      expect(method, "POST");
      await control.restart(index);
      return control.node(index).status();
    default:
      throw new HttpError(404, `no route ${method} /${path.join("/")}`);
  }
}

function expect(method: string, wanted: string): void {
  if (method !== wanted) throw new HttpError(405, `use ${wanted}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
