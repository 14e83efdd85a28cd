// What the playground page holds while it runs: the provider, its open channels, its sends and
// the messages it received, plus the page's query parameters. Shared by every section.
import type { ChannelHandle, ReliableChannelProvider, SyncState } from "../shared/api.js";
import { RequestTracker } from "./requests.js";
import type { SnapshotMessage } from "./server-api.js";

export const params = new URLSearchParams(location.search);
/** The browser profile the playground server launched this page in (a label for the tab). */
export const profile = params.get("profile");

export interface OpenChannel {
  handle: ChannelHandle;
  item: HTMLLIElement;
  received: number;
  /** Its latest sync state (from `syncState()` at open, then `sync` events). */
  sync?: SyncState;
}

export const state = {
  provider: undefined as ReliableChannelProvider | undefined,
  origin: null as string | null,
  /** Reconnections to the worker (a `connect` after a `disconnect`): it was stopped or restarted. */
  reconnects: 0,
  disconnected: false,
  channels: new Map<string, OpenChannel>(),
  tracker: new RequestTracker(),
  received: [] as SnapshotMessage[],
  seenMessages: new Set<string>(),
  /** Request id whose delivery the file progress bar follows. */
  fileRequestId: null as string | null,
};
