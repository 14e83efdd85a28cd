/**
 * The `Transport` port's acceptance suite. Every adapter runs it: the loopback fake here
 * (`transport-loopback.test.ts`) and the @waku/sdk adapter against the local devnet.
 *
 * It pins down only observable behaviour the core relies on, never an adapter's internals, and
 * uses real waiting (polling with a deadline) so it works against a real network:
 * - publish -> a subscriber on the same content topic receives the same bytes and hash;
 * - a store query by hash finds a published message; an unknown hash finds nothing;
 * - a store query by time returns pages in (timestamp) order, forward and backward, honouring
 *   the page size and the time range;
 * - availability reflects reality: a node that lost its peers says so, its publishes fail with a
 *   typed result (never a throw), listeners hear about it, and it recovers;
 * - every method availability offers for a content topic (relay, lightpush) delivers a publish
 *   to a subscriber and to the store (an adapter that relays offers relay for a topic once it
 *   joined it, by subscribing); a method it does not offer fails with a typed result;
 * - unsubscribe stops delivery.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { IncomingWakuMessage, OutgoingWakuMessage, Transport } from "../../src/core/ports/transport.js";

export interface TransportFixture {
  /** Two nodes on the same network; `a` publishes, `b` subscribes (and vice versa). */
  a: Transport;
  b: Transport;
  /** Make `node` lose (false) or regain (true) every peer. */
  setOnline(node: Transport, online: boolean): Promise<void>;
  close(): Promise<void>;
  /** The adapter relays: `a` offers relay for a topic it subscribed to (within the timeout). */
  relays?: boolean;
}

export interface TransportContractOptions {
  /** How long to wait for something the network should do; default 5 s. */
  timeoutMs?: number;
  /** Content topic prefix; each test gets its own topic so store state never leaks across tests. */
  topicPrefix?: string;
}

export function runTransportContract(
  name: string,
  factory: () => Promise<TransportFixture>,
  options: TransportContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const prefix = options.topicPrefix ?? "/reliable-channel-contract/1";
  let counter = 0;
  const freshTopic = (): string => `${prefix}/t${Date.now().toString(36)}${(counter++).toString(36)}/proto`;
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function collect(iterable: AsyncIterable<IncomingWakuMessage[]>): Promise<IncomingWakuMessage[][]> {
    const pages: IncomingWakuMessage[][] = [];
    for await (const page of iterable) pages.push(page);
    return pages;
  }

  async function publishOk(node: Transport, message: OutgoingWakuMessage): Promise<string> {
    const availability = node.availability();
    const method = availability.lightpush ? "lightpush" : "relay";
    const result = await node.publish(message, method);
    if (!result.ok) throw new Error(`publish failed: ${result.reason} ${result.detail}`);
    expect(result.messageHash).toMatch(/^[0-9a-f]{64}$/);
    return result.messageHash;
  }

  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture;

    beforeEach(async () => {
      fixture = await factory();
    });

    afterEach(async () => {
      await fixture.close();
    });

    it("delivers a published message to a subscriber on the same content topic", async () => {
      const topic = freshTopic();
      const received: IncomingWakuMessage[] = [];
      const unsubscribe = await fixture.b.subscribe(topic, (m) => received.push(m));
      const meta = new Uint8Array([1, 2, 3]);
      const hash = await publishOk(fixture.a, { contentTopic: topic, payload: bytes("hello"), meta, version: 1 });
      const message = await waitFor(() => received.find((m) => m.messageHash === hash), "delivery");
      expect(message.contentTopic).toBe(topic);
      expect(message.payload).toEqual(bytes("hello"));
      expect(message.meta).toEqual(meta);
      expect(message.version).toBe(1);
      expect(typeof message.timestampNs).toBe("bigint");
      expect(message.pubsubTopic.length).toBeGreaterThan(0);
      await unsubscribe();
    });

    it("keeps the caller's timestamp, so the hash is the same on every publish of one message", async () => {
      const topic = freshTopic();
      // Within the network's 20 s timestamp window (nwaku rejects older messages with 420).
      const message = { contentTopic: topic, payload: bytes("same"), timestampNs: BigInt(Date.now() - 1_000) * 1_000_000n };
      const first = await publishOk(fixture.a, message);
      const second = await publishOk(fixture.a, message);
      expect(second).toBe(first);
    });

    it("does not deliver messages of other content topics", async () => {
      const topic = freshTopic();
      const other = freshTopic();
      const received: IncomingWakuMessage[] = [];
      const unsubscribe = await fixture.b.subscribe(topic, (m) => received.push(m));
      await publishOk(fixture.a, { contentTopic: other, payload: bytes("elsewhere") });
      const hash = await publishOk(fixture.a, { contentTopic: topic, payload: bytes("here") });
      await waitFor(() => received.find((m) => m.messageHash === hash), "delivery");
      expect(received.every((m) => m.contentTopic === topic)).toBe(true);
      await unsubscribe();
    });

    it("finds a published message by hash in the store, and nothing for an unknown hash", async () => {
      const topic = freshTopic();
      const hash = await publishOk(fixture.a, { contentTopic: topic, payload: bytes("stored") });
      const found = await waitFor(async () => {
        const pages = await collect(fixture.b.queryStore({ kind: "hashes", contentTopic: topic, messageHashes: [hash] }));
        return pages.flat().find((m) => m.messageHash === hash);
      }, "store by hash");
      expect(found.payload).toEqual(bytes("stored"));
      const unknown = await collect(fixture.b.queryStore({ kind: "hashes", contentTopic: topic, messageHashes: ["00".repeat(32)] }));
      expect(unknown.flat()).toEqual([]);
    });

    it("pages a time query in timestamp order, forward and backward, within the range", async () => {
      const topic = freshTopic();
      const baseMs = Date.now() - 10_000; // inside the network's 20 s timestamp window
      const hashes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const timestampNs = BigInt(baseMs + i * 1_000) * 1_000_000n;
        hashes.push(await publishOk(fixture.a, { contentTopic: topic, payload: bytes(`m${i}`), timestampNs }));
      }
      const forwardPages = await waitFor(async () => {
        const pages = await collect(fixture.b.queryStore({ kind: "time", contentTopic: topic, startMs: baseMs - 1, pageSize: 2 }));
        return pages.flat().length >= 5 ? pages : undefined;
      }, "all five in the store");
      expect(forwardPages.every((p) => p.length <= 2 && p.length > 0)).toBe(true);
      expect(forwardPages.flat().map((m) => m.messageHash)).toEqual(hashes);

      const backward = await collect(
        fixture.b.queryStore({ kind: "time", contentTopic: topic, startMs: baseMs - 1, forward: false, pageSize: 2 }),
      );
      expect(backward.flat().map((m) => m.messageHash)).toEqual([...hashes].reverse());

      const ranged = await collect(
        fixture.b.queryStore({ kind: "time", contentTopic: topic, startMs: baseMs + 1_000, endMs: baseMs + 3_000, pageSize: 10 }),
      );
      expect(ranged.flat().map((m) => m.messageHash)).toEqual(hashes.slice(1, 4));
    });

    it("reports lost peers in availability, fails publishes with a typed result, and recovers", async () => {
      const topic = freshTopic();
      const heard: boolean[] = [];
      const stop = fixture.a.onAvailabilityChange((availability) => heard.push(availability.lightpush || availability.relay));
      await fixture.setOnline(fixture.a, false);
      await waitFor(() => {
        const availability = fixture.a.availability();
        return !availability.lightpush && !availability.relay ? true : undefined;
      }, "availability to drop");
      for (const method of ["lightpush", "relay"] as const) {
        const result = await fixture.a.publish({ contentTopic: topic, payload: bytes("nobody") }, method);
        expect(result.ok).toBe(false);
      }
      await fixture.setOnline(fixture.a, true);
      await waitFor(() => (fixture.a.availability().lightpush || fixture.a.availability().relay ? true : undefined), "recovery");
      expect(heard).toContain(false);
      expect(heard.at(-1)).toBe(true);
      stop();
      await publishOk(fixture.a, { contentTopic: topic, payload: bytes("back") });
    });

    it("delivers by every method availability offers for the topic, and fails the others with a typed result", async () => {
      const topic = freshTopic();
      const received: IncomingWakuMessage[] = [];
      const unsubscribeB = await fixture.b.subscribe(topic, (m) => received.push(m));
      // A relaying publisher joins the topic's mesh by subscribing.
      const unsubscribeA = await fixture.a.subscribe(topic, () => undefined);
      if (fixture.relays) await waitFor(() => (fixture.a.availability(topic).relay ? true : undefined), "relay for the topic");
      const offered = fixture.a.availability(topic);
      expect(offered.relay || offered.lightpush).toBe(true);
      for (const method of ["relay", "lightpush"] as const) {
        const result = await fixture.a.publish({ contentTopic: topic, payload: bytes(`by ${method}`) }, method);
        if (!offered[method]) {
          expect(result).toMatchObject({ ok: false, method });
          continue;
        }
        if (!result.ok) throw new Error(`${method} publish failed: ${result.reason} ${result.detail}`);
        expect(result.method).toBe(method);
        await waitFor(() => received.find((m) => m.messageHash === result.messageHash), `delivery by ${method}`);
        await waitFor(async () => {
          const pages = await collect(fixture.b.queryStore({ kind: "hashes", contentTopic: topic, messageHashes: [result.messageHash] }));
          return pages.flat().length > 0 ? true : undefined;
        }, `the ${method} publish in the store`);
      }
      await unsubscribeA();
      await unsubscribeB();
    });

    it("stops delivering after unsubscribe", async () => {
      const topic = freshTopic();
      const received: IncomingWakuMessage[] = [];
      const unsubscribe = await fixture.b.subscribe(topic, (m) => received.push(m));
      const first = await publishOk(fixture.a, { contentTopic: topic, payload: bytes("before") });
      await waitFor(() => received.find((m) => m.messageHash === first), "first delivery");
      await unsubscribe();
      const second = await publishOk(fixture.a, { contentTopic: topic, payload: bytes("after") });
      // Give the network the same chance it had to deliver the first one.
      await waitFor(async () => {
        const pages = await collect(fixture.b.queryStore({ kind: "hashes", contentTopic: topic, messageHashes: [second] }));
        return pages.flat().length > 0 ? true : undefined;
      }, "second message to reach the store");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received.map((m) => m.messageHash)).not.toContain(second);
    });
  });
}
