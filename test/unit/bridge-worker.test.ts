/**
 * The bridge (content script) against a whole in-process worker (RPC server, page service,
 * permissions, memory backend), through JSON-only fake ports: the page-API behaviour without a
 * browser, including a worker restart with calls in flight.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Bridge } from "../../src/content/bridge.js";
import type { PageEvent } from "../../src/content/bridge-protocol.js";
import { MAX_PAYLOAD_BYTES, type ChannelMessage, type RequestStatus } from "../../src/shared/api.js";
import { FakeWorker } from "./rpc-fakes.js";

const A = "http://a.test";
const B = "http://b.test";
let clientCounter = 0;

interface Tab {
  bridge: Bridge;
  events: PageEvent[];
  messages(): ChannelMessage[];
  statuses(requestId: string): RequestStatus["state"][];
  request(method: string, params?: unknown): Promise<unknown>;
}

function openTab(worker: FakeWorker, origin: string): Tab {
  const events: PageEvent[] = [];
  const bridge = new Bridge({
    connect: () => worker.connect(origin),
    clientId: `client-${(++clientCounter).toString().padStart(4, "0")}`,
    rpc: { callTimeoutMs: 500, reconnectDelaysMs: [0, 5, 10] },
  });
  void bridge.attach((event) => events.push(event));
  return {
    bridge,
    events,
    messages: () => events.flatMap((event) => (event.type === "message" ? [event.message] : [])),
    statuses: (requestId) =>
      events.flatMap((event) => (event.type === "status" && event.status.requestId === requestId ? [event.status.state] : [])),
    async request(method, params) {
      const answer = await bridge.request(method, params);
      if (!answer.ok) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
  };
}

const text = (message: ChannelMessage) => new TextDecoder().decode(message.data);

describe("bridge <-> worker", () => {
  let worker: FakeWorker;
  afterEach(() => worker?.backend.dispose());

  it("delivers a send to other tabs of the site and other sites, with statuses up to acknowledged", async () => {
    worker = new FakeWorker();
    const [a1, a2, b] = [openTab(worker, A), openTab(worker, A), openTab(worker, B)];
    for (const tab of [a1, a2, b]) {
      await tab.request("rc_connect");
      await tab.request("rc_openChannel", { channelId: "room" });
    }
    const bInfo = (await b.request("rc_openChannel", { channelId: "room" })) as { participantId: string };
    const { requestId } = (await a1.request("rc_send", { channelId: "room", data: "hello ☃" })) as { requestId: string };

    await vi.waitFor(() => expect(a1.statuses(requestId)).toContain("acknowledged"));
    expect(a1.statuses(requestId)).toEqual(["queued", "propagated", "stored", "acknowledged"]);
    expect(await a1.request("rc_getStatus", { requestId })).toEqual({
      requestId,
      channelId: "room",
      state: "acknowledged",
      ackedBy: [bInfo.participantId],
    });
    for (const tab of [a1, a2, b]) {
      expect(tab.messages().map(text)).toEqual(["hello ☃"]);
      expect(tab.messages()[0]?.data).toBeInstanceOf(Uint8Array);
    }
    expect(a2.messages()[0]?.fromSelf).toBe(true);
    expect(b.messages()[0]?.fromSelf).toBe(false);
    // Origin scoping: b cannot see a's request.
    await expect(b.request("rc_getStatus", { requestId })).rejects.toMatchObject({ name: "RequestNotFound" });
  });

  it("reads history with a cursor", async () => {
    worker = new FakeWorker();
    const a = openTab(worker, A);
    await a.request("rc_connect");
    await a.request("rc_openChannel", { channelId: "log" });
    for (const word of ["one", "two", "three"]) await a.request("rc_send", { channelId: "log", data: word });
    const first = (await a.request("rc_getMessages", { channelId: "log", limit: 2 })) as { messages: ChannelMessage[]; cursor: string };
    expect(first.messages.map(text)).toEqual(["one", "two"]);
    const rest = (await a.request("rc_getMessages", { channelId: "log", since: first.cursor })) as { messages: ChannelMessage[] };
    expect(rest.messages.map(text)).toEqual(["three"]);
  });

  it("refuses everything but connect before approval, and internal methods always", async () => {
    worker = new FakeWorker();
    worker.prompt = async () => ({ decision: "deny", remember: false });
    const a = openTab(worker, A);
    await expect(a.request("rc_openChannel", { channelId: "x" })).rejects.toMatchObject({ code: 4100 });
    await expect(a.request("rc_connect")).rejects.toMatchObject({ code: 4001 });
    await expect(a.request("rc_subscribe", { channelId: "x", since: null })).rejects.toMatchObject({ code: 4200 });
    await expect(a.request("rc_send", { channelId: "x", data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) })).rejects.toMatchObject({ code: 5002 });
  });

  it("revoking a site tells its pages and turns later calls into 4100", async () => {
    worker = new FakeWorker();
    const a = openTab(worker, A);
    await a.request("rc_connect");
    await a.request("rc_openChannel", { channelId: "room" });
    await worker.pages.revoke(A);
    await vi.waitFor(() => expect(a.events).toContainEqual({ type: "permissionsChanged", approved: false }));
    await expect(a.request("rc_send", { channelId: "room", data: "x" })).rejects.toMatchObject({ code: 4100 });
  });

  it("survives a worker restart with sends in flight: each completes once, nobody sees a duplicate, subscriptions come back", async () => {
    worker = new FakeWorker();
    const [a, b] = [openTab(worker, A), openTab(worker, B)];
    for (const tab of [a, b]) {
      await tab.request("rc_connect");
      await tab.request("rc_openChannel", { channelId: "room" });
    }
    await a.request("rc_send", { channelId: "room", data: "before" });
    await vi.waitFor(() => expect(b.messages().map(text)).toEqual(["before"]));

    // Hold the next sends inside the worker, then kill it.
    let release!: () => void;
    worker.gate = new Promise<void>((resolve) => (release = resolve));
    const inFlight = ["m1", "m2", "m3"].map((data) => a.request("rc_send", { channelId: "room", data }));
    await vi.waitFor(() => expect(worker.handled.filter((call) => call.method === "rc_send")).toHaveLength(4));
    worker.gate = null;
    worker.restart();
    release(); // the dead worker's calls finish into closed ports

    const results = (await Promise.all(inFlight)) as { requestId: string }[];
    expect(new Set(results.map((result) => result.requestId)).size).toBe(3);
    await a.request("rc_send", { channelId: "room", data: "after" });
    await vi.waitFor(() => expect(b.messages().map(text)).toEqual(["before", "m1", "m2", "m3", "after"]));
    // The retried calls kept their call ids (so their idempotency keys): one send each.
    const retried = worker.handled.filter((call) => call.method === "rc_send" && call.clientId === worker.handled[0]!.clientId);
    const ids = retried.map((call) => call.callId);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toHaveLength(3);
    // Both pages were told the extension came back.
    for (const tab of [a, b]) expect(tab.events.filter((event) => event.type === "connect")).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.messages()).toHaveLength(5);
  });

  it("a send the dead worker ran but never answered is not delivered twice after the retry", async () => {
    worker = new FakeWorker();
    const [a, b] = [openTab(worker, A), openTab(worker, B)];
    for (const tab of [a, b]) {
      await tab.request("rc_connect");
      await tab.request("rc_openChannel", { channelId: "room" });
    }
    worker.answerGate = new Promise<void>(() => undefined); // the old worker never replies
    const pending = a.request("rc_send", { channelId: "room", data: "once" });
    await vi.waitFor(() => expect(b.messages().map(text)).toEqual(["once"])); // it did run
    worker.answerGate = null;
    worker.restart();
    const { requestId } = (await pending) as { requestId: string };
    // The retry ran again on the new worker with the same idempotency key: same request id,
    // same message id, which b's bridge has already delivered.
    await vi.waitFor(() => expect(a.statuses(requestId)).toContain("acknowledged"));
    expect(b.messages().map(text)).toEqual(["once"]);
  });

  it("tells the backend a send's key is new only on the call's first post, never for a page's own key", async () => {
    worker = new FakeWorker();
    const a = openTab(worker, A);
    await a.request("rc_connect");
    await a.request("rc_openChannel", { channelId: "room" });
    const newKey: boolean[] = [];
    const spy = (): void => {
      const backend = worker.backend;
      const send = backend.send.bind(backend);
      backend.send = (origin, channelId, payload, options) => {
        newKey.push(options.newKey === true);
        return send(origin, channelId, payload, options);
      };
    };
    spy();
    worker.answerGate = new Promise<void>(() => undefined); // the worker dies before answering
    const pending = a.request("rc_send", { channelId: "room", data: "retried" });
    await vi.waitFor(() => expect(newKey).toEqual([true]));
    worker.answerGate = null;
    worker.restart();
    spy();
    await pending; // the retry: the old worker may have run it, so the key must be looked up
    await a.request("rc_send", { channelId: "room", data: "keyed", idempotencyKey: "page-key" });
    expect(newKey).toEqual([true, false, false]);
  });
});
