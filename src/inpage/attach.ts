// Connecting a new provider to the isolated-world bridge: its \`attach\` may never answer (the
// content script is missing), so after a timeout the provider fails with \`Disconnected\`.
import type { BridgeApi, PageEvent } from "../content/bridge-protocol.js";
import type { Provider } from "./provider.js";
import { providerError } from "./provider-error.js";

/** Wire a provider to a bridge whose `attach` may never answer (content script missing). */
export async function attachProvider(provider: Provider, bridge: BridgeApi, sink: (event: PageEvent) => void, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("handshake timed out")), timeoutMs);
  });
  try {
    const state = await Promise.race([bridge.attach(sink), timeout]);
    if (state.connected && state.origin) provider.onEvent({ type: "connect", origin: state.origin });
  } catch (error) {
    provider.fail(
      providerError(
        "Disconnected",
        `Reliable Channel's content script did not answer (${error instanceof Error ? error.message : String(error)}); reload the page.`,
      ),
    );
  } finally {
    clearTimeout(timer);
  }
}
