// React bindings (the "./react" subpath; `react` is an optional peer dependency): `useProvider`
// for discovery and `useChannel` for one open channel. The state logic is channel-state.ts.

import { useCallback, useEffect, useMemo, useReducer, useState } from "react";
import type { OpenChannelOptions, Payload, ReliableChannelProvider, SendOptions, SendResult } from "./api.js";
import {
  channelOptionsKey,
  channelReducer,
  initialChannelState,
  openAndAttach,
  sendOn,
  DEFAULT_KEPT_MESSAGES,
  type ChannelState,
} from "./channel-state.js";
import { requestProvider, type RequestProviderOptions } from "./discovery.js";
import { fromUnknown, type ReliableChannelProviderError } from "./errors.js";

export type ProviderState =
  | { status: "loading" }
  | { status: "ready"; provider: ReliableChannelProvider }
  | { status: "not-installed" }
  | { status: "error"; error: ReliableChannelProviderError };

/** Discover the provider once on mount (see `requestProvider`); the discovery is abandoned on unmount. */
export function useProvider(options: Pick<RequestProviderOptions, "timeout" | "target"> = {}): ProviderState {
  const [state, setState] = useState<ProviderState>({ status: "loading" });
  const { timeout, target } = options;
  useEffect(() => {
    const abort = new AbortController();
    requestProvider({ timeout, target, signal: abort.signal }).then(
      (found) => setState(found.status === "found" ? { status: "ready", provider: found.provider } : { status: "not-installed" }),
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ status: "error", error: fromUnknown(error) });
      },
    );
    return () => abort.abort();
  }, [timeout, target]);
  return state;
}

export interface UseChannelOptions extends OpenChannelOptions {
  /** Messages and request statuses kept in state (the newest); default 500. */
  keep?: number;
}

export interface UseChannelResult extends Omit<ChannelState, "keep" | "syncFromEvent"> {
  /** Send on the open channel; rejects with a `ReliableChannelProviderError` (e.g. 5002, 5003, or 5004 before the channel is open). */
  send(data: Payload, options?: SendOptions): Promise<SendResult>;
}

/**
 * Open a channel while `provider` and `options` are given (null for either: nothing open), keep
 * its conversation, the status of each of this site's sends and its sync state. A change of
 * channel id, topic, key, participant id or retention reopens; unmount removes the listeners and
 * closes the handle (accepted sends keep being delivered by the extension). The site must be
 * approved first (`provider.connect()`), else `error` is 4100 `Unauthorized`.
 */
export function useChannel(provider: ReliableChannelProvider | null | undefined, options: UseChannelOptions | null | undefined): UseChannelResult {
  // `keep` is read on mount.
  const [state, dispatch] = useReducer(channelReducer, options?.keep ?? DEFAULT_KEPT_MESSAGES, initialChannelState);
  const key = options ? channelOptionsKey(options) : null;
  // Reopen on a change of what `key` captures, not on every new options object a render makes.
  const openOptions = useMemo(() => options, [key]);
  const { keep } = state;

  useEffect(() => {
    if (!provider || !openOptions) {
      dispatch({ type: "reset" });
      return;
    }
    const { keep: _keep, ...channelOptions } = openOptions;
    return openAndAttach(provider, channelOptions, dispatch, keep);
  }, [provider, openOptions, keep]);

  const { channel } = state;
  const send = useCallback((data: Payload, sendOptions?: SendOptions) => sendOn(channel, dispatch, data, sendOptions), [channel]);
  const { keep: _keep, syncFromEvent: _syncFromEvent, ...visible } = state;
  return { ...visible, send };
}
