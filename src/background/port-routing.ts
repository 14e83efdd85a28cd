// Which ports the worker accepts: page ports become RPC sessions (origin from the sender),
// prompt ports only keep the worker alive, anything else is disconnected.
import { PAGE_PORT_NAME } from "../shared/page-port.js";
import { PROMPT_PORT_NAME } from "../shared/worker-messages.js";
import type { RpcServer } from "./rpc-server.js";
import { isExtensionPage, pageOrigin } from "./sender-trust.js";

export function routePort(port: chrome.runtime.Port, server: RpcServer): void {
  switch (port.name) {
    case PAGE_PORT_NAME: {
      const origin = pageOrigin(port.sender);
      if (!origin) {
        console.warn("[worker] page port from an unexpected sender refused", port.sender?.url);
        port.disconnect();
        return;
      }
      server.accept(port, origin);
      return;
    }
    case PROMPT_PORT_NAME:
      // An open prompt window pings over this port so the worker (and the pending question)
      // outlives the 30 s idle timeout while the user decides.
      if (!isExtensionPage(port.sender)) port.disconnect();
      return;
    default:
      port.disconnect();
  }
}
