// The state behind useChannel, without React: the reducer (history and live messages merged once,
// statuses that never step back to queued, the sync state's event-over-read rule, the message cap)
// and the effect's steps (listeners attached and removed, close after a racing re-open, typed errors).
import { describe, expect, it } from "vitest";
import type { RequestStatus, SyncState } from "../src/api.js";
import {
  channelOptionsKey,
  channelReducer,
  initialChannelState,
  openAndAttach,
  sendOn,
  type ChannelAction,
  type ChannelState,
} from "../src/channel-state.js";
import { ReliableChannelProviderError } from "../src/errors.js";
import { MAX_MESSAGES_PAGE } from "../src/limits.js";
import { fakeProvider, message, type FakeChannel } from "./fakes.js";

const reduce = (actions: ChannelAction[], state: ChannelState = initialChannelState()): ChannelState => actions.reduce(channelReducer, state);
const status = (requestId: string, state: "queued" | "propagated" | "stored"): RequestStatus => ({ requestId, channelId: "room", state });
const sync = (state: SyncState["state"], missing = 0): SyncState => ({
  channelId: "room",
  state,
  missing,
  waiting: 0,
  irretrievable: 0,
  missingIds: [],
  irretrievableIds: [],
});

/** A store + dispatch pair, as useReducer gives the hook. */
function store(keep?: number) {
  let state = initialChannelState(keep);
  return { dispatch: (action: ChannelAction) => void (state = channelReducer(state, action)), get: () => state };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("channelReducer", () => {
  it("puts the history before live messages and keeps each message once", () => {
    const state = reduce([
      { type: "message", message: message("room", 3) },
      { type: "message", message: message("room", 4) },
      { type: "history", messages: [message("room", 1), message("room", 2), message("room", 3)] },
      { type: "message", message: message("room", 4) },
    ]);
    expect(state.messages.map((m) => m.messageId)).toEqual(["m1", "m2", "m3", "m4"]);
  });

  it("keeps the newest `keep` messages and statuses", () => {
    const state = reduce(
      [
        ...Array.from({ length: 5 }, (_, i): ChannelAction => ({ type: "message", message: message("room", i) })),
        ...Array.from({ length: 5 }, (_, i): ChannelAction => ({ type: "status", status: status(`r${i}`, "queued") })),
      ],
      initialChannelState(3),
    );
    expect(state.messages.map((m) => m.messageId)).toEqual(["m2", "m3", "m4"]);
    expect(Object.keys(state.statuses)).toEqual(["r2", "r3", "r4"]);
  });

  it("records a send as queued unless its status events came first", () => {
    const state = reduce([
      { type: "status", status: status("r1", "stored") },
      { type: "sent", requestId: "r1", channelId: "room" },
      { type: "sent", requestId: "r2", channelId: "room" },
      { type: "status", status: status("r2", "propagated") },
    ]);
    expect(state.statuses.r1?.state).toBe("stored");
    expect(state.statuses.r2?.state).toBe("propagated");
  });

  it("lets a sync event win over the initial read, whichever lands first", () => {
    expect(reduce([{ type: "sync", syncState: sync("syncing", 2), fromEvent: true }, { type: "sync", syncState: sync("synced"), fromEvent: false }]).syncState?.state).toBe("syncing");
    expect(reduce([{ type: "sync", syncState: sync("synced"), fromEvent: false }, { type: "sync", syncState: sync("syncing", 1), fromEvent: true }]).syncState?.missing).toBe(1);
  });

  it("opening clears the previous channel's state; failed keeps the error", () => {
    const error = new ReliableChannelProviderError("Unauthorized", "connect first");
    const failed = reduce([{ type: "message", message: message("room", 1) }, { type: "opening" }, { type: "failed", error }]);
    expect(failed).toMatchObject({ phase: "error", error, messages: [], channel: null });
    expect(reduce([{ type: "reset" }], failed)).toEqual(initialChannelState());
  });
});

describe("openAndAttach", () => {
  it("opens, reads every page of the history and the sync state, follows events, and cleans up", async () => {
    const fake = fakeProvider();
    const { dispatch, get } = store();
    const cleanup = openAndAttach(fake.provider, { channelId: "room" }, dispatch);
    expect(get().phase).toBe("opening");
    await settle();
    const channel = fake.opened[0] as FakeChannel;
    expect(get()).toMatchObject({ phase: "open", channel });
    expect(channel.listenerCount()).toBe(3);

    channel.emit("message", message("room", 1));
    channel.emit("status", status("r1", "propagated"));
    channel.emit("sync", sync("syncing", 4));
    expect(get().messages).toHaveLength(1);
    expect(get().statuses.r1?.state).toBe("propagated");
    expect(get().syncState?.missing).toBe(4);

    cleanup();
    expect(channel.listenerCount()).toBe(0);
    await settle();
    expect(channel.closed).toBe(1);
    channel.emit("message", message("room", 2)); // nobody listens: state unchanged
    expect(get().messages).toHaveLength(1);
  });

  it("reads a history longer than one page, keeping its newest `keep`, then the live messages after it", async () => {
    const fake = fakeProvider();
    const total = MAX_MESSAGES_PAGE + 20;
    let release: () => void = () => undefined;
    fake.prepareChannels((channel) => {
      channel.history = Array.from({ length: total }, (_, i) => message("room", i));
      channel.hold = new Promise<void>((resolve) => (release = resolve));
    });
    const { dispatch, get } = store(MAX_MESSAGES_PAGE);
    openAndAttach(fake.provider, { channelId: "room" }, dispatch);
    await settle();
    const channel = fake.opened[0] as FakeChannel;
    channel.emit("message", message("room", total)); // arrives while the history is being read
    channel.emit("message", message("room", total - 1)); // also in the history: kept once
    release();
    await settle();
    const ids = get().messages.map((m) => m.messageId);
    expect(ids).toHaveLength(MAX_MESSAGES_PAGE);
    expect(ids.at(-1)).toBe(`m${total}`);
    expect(ids.at(-2)).toBe(`m${total - 1}`);
    expect(ids[0]).toBe(`m${total + 1 - MAX_MESSAGES_PAGE}`);
    expect(get().syncState?.state).toBe("synced");
  });

  it("a cleanup before the open lands closes the handle when it lands, and dispatches nothing more", async () => {
    const fake = fakeProvider();
    let land: () => void = () => undefined;
    fake.setGate(new Promise<void>((resolve) => (land = resolve)));
    const { dispatch, get } = store();
    const cleanup = openAndAttach(fake.provider, { channelId: "room" }, dispatch);
    cleanup();
    land();
    await settle();
    const channel = fake.opened[0] as FakeChannel;
    expect(channel.closed).toBe(1);
    expect(channel.listenerCount()).toBe(0);
    expect(get().phase).toBe("opening");
  });

  it("closing waits for a re-open of the same channel in flight (StrictMode mounts twice), so the page's close never lands before the new handle", async () => {
    const fake = fakeProvider();
    const order: string[] = [];
    let landSecond: () => void = () => undefined;
    const first = store();
    const cleanupFirst = openAndAttach(fake.provider, { channelId: "room" }, first.dispatch);
    await settle();
    const handle1 = fake.opened[0] as FakeChannel;
    handle1.close = async () => void order.push("close 1");
    fake.setGate(new Promise<void>((resolve) => (landSecond = resolve)));
    const second = store();
    openAndAttach(fake.provider, { channelId: "room" }, second.dispatch);
    cleanupFirst();
    await settle();
    expect(order).toEqual([]); // held while the second open is in flight
    landSecond();
    order.push("open 2 landed");
    await settle();
    expect(order).toEqual(["open 2 landed", "close 1"]);
    expect(second.get().phase).toBe("open");
  });

  it("reports a failed open as a typed error (the provider's plain error, e.g. 4100 before connect)", async () => {
    const fake = fakeProvider();
    fake.failOpens(Object.assign(new Error("connect first"), { name: "Unauthorized", code: 4100 }));
    const { dispatch, get } = store();
    openAndAttach(fake.provider, { channelId: "room" }, dispatch);
    await settle();
    expect(get().phase).toBe("error");
    expect(get().error).toBeInstanceOf(ReliableChannelProviderError);
    expect(get().error).toMatchObject({ code: 4100, name: "Unauthorized" });
  });
});

describe("sendOn", () => {
  it("records the accepted send as queued and returns its request id", async () => {
    const fake = fakeProvider();
    const { dispatch, get } = store();
    openAndAttach(fake.provider, { channelId: "room" }, dispatch);
    await settle();
    const { requestId } = await sendOn(get().channel, dispatch, "hello");
    expect(get().statuses[requestId]).toEqual({ requestId, channelId: "room", state: "queued" });
  });

  it("rejects with typed errors: 5004 before the channel is open, the provider's code otherwise", async () => {
    const { dispatch } = store();
    await expect(sendOn(null, dispatch, "x")).rejects.toMatchObject({ name: "ChannelNotFound", code: 5004 });
    const fake = fakeProvider();
    const opened = store();
    openAndAttach(fake.provider, { channelId: "room" }, opened.dispatch);
    await settle();
    (fake.opened[0] as FakeChannel).sendImpl = async () => {
      throw Object.assign(new Error("too big"), { name: "PayloadTooLarge", code: 5002 });
    };
    const error = await sendOn(opened.get().channel, opened.dispatch, "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReliableChannelProviderError);
    expect(error).toMatchObject({ code: 5002 });
    expect(opened.get().statuses).toEqual({});
  });
});

describe("channelOptionsKey", () => {
  it("changes with what selects the channel, and reads a key the same as bytes or hex", () => {
    const hex = "ab".repeat(32);
    expect(channelOptionsKey({ channelId: "a", key: hex })).toBe(channelOptionsKey({ channelId: "a", key: new Uint8Array(32).fill(0xab) }));
    expect(channelOptionsKey({ channelId: "a" })).not.toBe(channelOptionsKey({ channelId: "b" }));
    expect(channelOptionsKey({ channelId: "a" })).not.toBe(channelOptionsKey({ channelId: "a", participantId: "p" }));
  });
});
