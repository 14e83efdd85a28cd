// The hooks under React itself (server rendering: no DOM here, so effects do not run): the first
// render's states. The effects' logic is channel-state.ts (channel-state.test.ts); the example
// dApp's browser test runs the hooks for real.
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { useChannel, useProvider, type ProviderState, type UseChannelResult } from "../src/react.js";
import { fakeProvider } from "./fakes.js";

describe("React hooks, first render", () => {
  it("useProvider starts loading; useChannel starts idle, empty, with a send that rejects 5004", async () => {
    const { provider } = fakeProvider();
    let seenProvider: ProviderState | undefined;
    let seenChannel: UseChannelResult | undefined;
    function Probe() {
      seenProvider = useProvider({ timeout: 10 });
      seenChannel = useChannel(provider, { channelId: "room" });
      return createElement("p", null, `${seenProvider.status}/${seenChannel.phase}`);
    }
    expect(renderToString(createElement(Probe))).toBe("<p>loading/idle</p>");
    expect(seenChannel).toMatchObject({ channel: null, messages: [], statuses: {}, syncState: null, error: null });
    expect(seenChannel).not.toHaveProperty("keep");
    await expect(seenChannel!.send("hi")).rejects.toMatchObject({ code: 5004, name: "ChannelNotFound" });
  });
});
