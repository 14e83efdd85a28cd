import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BackendEvent } from "../../src/background/channel-backend.js";
import { MemoryChannelBackend } from "../support/memory-channel-backend.js";

const A = "http://a.test";
const B = "http://b.test";
const bytes = (text: string) => new TextEncoder().encode(text);

describe("MemoryChannelBackend", () => {
  let backend: MemoryChannelBackend;
  beforeEach(() => {
    vi.useFakeTimers();
    backend = new MemoryChannelBackend({ delays: { propagated: 10, stored: 20, acknowledged: 30 } });
  });
  afterEach(() => {
    backend.dispose();
    vi.useRealTimers();
  });

  function record(origin: string, channelId: string): BackendEvent[] {
    const events: BackendEvent[] = [];
    backend.subscribe(origin, channelId, (event) => events.push(event));
    return events;
  }

  it("advances queued -> propagated -> stored -> acknowledged by the participants reached", async () => {
    await backend.openChannel(A, { channelId: "room" });
    const b = await backend.openChannel(B, { channelId: "room", participantId: "bob" });
    expect(b.participantId).toBe("bob");
    const aEvents = record(A, "room");
    const bEvents = record(B, "room");
    const { requestId } = await backend.send(A, "room", bytes("hi"), {});
    await vi.advanceTimersByTimeAsync(0);
    expect((await backend.status(A, requestId))?.state).toBe("queued");
    expect(bEvents).toEqual([]); // not propagated yet
    await vi.advanceTimersByTimeAsync(30);
    const states = aEvents.flatMap((event) => (event.type === "status" ? [event.status.state] : []));
    expect(states).toEqual(["queued", "propagated", "stored", "acknowledged"]);
    expect(await backend.status(A, requestId)).toEqual({ requestId, channelId: "room", state: "acknowledged", ackedBy: ["bob"] });
    expect(bEvents).toEqual([{ type: "message", message: expect.objectContaining({ fromSelf: false, data: bytes("hi") }) }]);
    expect(await backend.status(B, requestId)).toBeUndefined(); // another origin's request
  });

  it("stops ephemeral sends at propagated, and does not acknowledge when nobody else listens", async () => {
    await backend.openChannel(A, { channelId: "room" });
    const { requestId: ephemeral } = await backend.send(A, "room", bytes("e"), { ephemeral: true });
    const { requestId: alone } = await backend.send(A, "room", bytes("x"), {});
    await vi.advanceTimersByTimeAsync(100);
    expect((await backend.status(A, ephemeral))?.state).toBe("propagated");
    expect((await backend.status(A, alone))?.state).toBe("stored");
  });

  it("loops only between participants with the same topic and key", async () => {
    await backend.openChannel(A, { channelId: "room", key: new Uint8Array(32).fill(1) });
    await backend.openChannel(B, { channelId: "room", key: new Uint8Array(32).fill(2) });
    const bEvents = record(B, "room");
    await backend.send(A, "room", bytes("secret"), {});
    await vi.advanceTimersByTimeAsync(100);
    expect(bEvents).toEqual([]);
  });

  it("returns the same request for the same idempotency key and sends once", async () => {
    await backend.openChannel(A, { channelId: "room" });
    const [first, second] = await Promise.all([
      backend.send(A, "room", bytes("pay"), { idempotencyKey: "order-1" }),
      backend.send(A, "room", bytes("pay"), { idempotencyKey: "order-1" }),
    ]);
    expect(second).toEqual(first);
    expect((await backend.messages(A, "room", { limit: 10 })).messages).toHaveLength(1);
  });

  it("pages through history with cursors, treating unknown cursors as the beginning", async () => {
    await backend.openChannel(A, { channelId: "room" });
    for (const word of ["a", "b", "c"]) await backend.send(A, "room", bytes(word), {});
    const page = await backend.messages(A, "room", { limit: 2 });
    expect(page.messages.map((m) => new TextDecoder().decode(m.data))).toEqual(["a", "b"]);
    expect((await backend.messages(A, "room", { since: page.cursor, limit: 10 })).messages).toHaveLength(1);
    expect((await backend.messages(A, "room", { since: "deadbeef.000000000099", limit: 10 })).messages).toHaveLength(3);
    const cursors = (await backend.messages(A, "room", { limit: 10 })).messages.map((m) => m.cursor);
    expect([...cursors].sort()).toEqual(cursors);
  });

  it("refuses a conflicting re-open, and sends on channels that are not open", async () => {
    await backend.openChannel(A, { channelId: "room", participantId: "alice" });
    await expect(backend.openChannel(A, { channelId: "room", participantId: "mallory" })).rejects.toMatchObject({ name: "InvalidParams" });
    await expect(backend.openChannel(A, { channelId: "room" })).resolves.toMatchObject({ participantId: "alice" });
    await expect(backend.send(B, "room", bytes("x"), {})).rejects.toMatchObject({ name: "ChannelNotFound" });
    await backend.closeChannel(A, "room");
    await expect(backend.send(A, "room", bytes("x"), {})).rejects.toMatchObject({ name: "ChannelNotFound" });
  });

  it("keeps a bounded log", async () => {
    backend = new MemoryChannelBackend({ maxLogLength: 3 });
    await backend.openChannel(A, { channelId: "room" });
    for (let i = 0; i < 5; i++) await backend.send(A, "room", bytes(String(i)), {});
    const { messages } = await backend.messages(A, "room", { limit: 10 });
    expect(messages.map((m) => new TextDecoder().decode(m.data))).toEqual(["2", "3", "4"]);
  });
});
