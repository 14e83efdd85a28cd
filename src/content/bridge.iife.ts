/**
 * Content script (isolated world, document_start): accepts the MAIN-world provider's port
 * (see handshake.ts), serves it with Comlink, and talks to the worker over a runtime port.
 */
import * as Comlink from "comlink";
import { randomHexId } from "../shared/bytes.js";
import { PAGE_PORT_NAME } from "../shared/page-port.js";
import { Bridge } from "./bridge.js";
import { acceptPort } from "./handshake.js";

// Registered first thing, before any page script can add a listener of its own.
acceptPort(window, (port) => {
  const bridge = new Bridge({
    connect: () => chrome.runtime.connect({ name: PAGE_PORT_NAME }),
    clientId: randomHexId(),
  });
  // The worker is reached lazily, on the page's first request: pages that never use the API
  // never wake it.
  Comlink.expose(bridge, port);
});

document.documentElement.dataset.reliableChannel = "present";
