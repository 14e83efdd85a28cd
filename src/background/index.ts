/**
 * Service-worker composition root.
 *
 * MV3 rules this file obeys (DESIGN.md section 3): every listener is registered synchronously
 * at the top level, there is no top-level `await` and no dynamic `import()` (either makes the
 * worker fail registration while still showing up as a worker, hence the ping).
 */
import browser from "webextension-polyfill";
import { EXTENSION_PROTOCOL_VERSION, parseWorkerRequest, type WorkerResponse } from "../shared/rpc.js";

const startedAt = performance.now();

browser.runtime.onMessage.addListener((message: unknown): Promise<WorkerResponse> | undefined => {
  const request = parseWorkerRequest(message);
  if (!request) return undefined; // not ours: let other listeners answer
  switch (request.kind) {
    case "ping":
      return Promise.resolve({
        kind: "pong",
        nonce: request.nonce,
        protocolVersion: EXTENSION_PROTOCOL_VERSION,
        uptimeMs: Math.round(performance.now() - startedAt),
        extensionVersion: browser.runtime.getManifest().version,
      });
    default: {
      const unreachable: never = request.kind;
      return unreachable;
    }
  }
});
