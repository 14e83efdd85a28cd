/**
 * The one long-lived filter-push stream to one subscriber.
 *
 * Why one stream: js-waku accepts at most 100 inbound filter-push streams, so a stream per
 * message stalls a subscriber after 100 messages (nwaku fixed the same bug by reusing the stream).
 * Guarantees:
 * - pushes reach the subscriber in enqueue order over a single stream, opened on the first push
 *   over an existing connection (light clients cannot be dialed);
 * - at most `maxQueued` pushes and `maxQueuedBytes` wait in memory; beyond either the oldest are
 *   dropped and counted;
 * - a push may carry a delay (fault knob): it is held until due, later pushes wait behind it;
 * - when the stream fails or closes the channel reports itself dead exactly once and drops what
 *   it still held; the owner opens a fresh channel for the next push.
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import * as lp from "it-length-prefixed";
import type { Uint8ArrayList } from "uint8arraylist";
import { describeError, type DevnetLogger } from "../log.js";
import { sleep } from "../stream-io.js";

export const FILTER_PUSH_CODEC = "/vac/waku/filter-push/2.0.0-beta1";

const OPEN_TIMEOUT_MS = 10_000;

interface QueuedPush {
  readonly frame: Uint8Array;
  readonly dueAt: number;
}

export class PushChannel {
  private queue: QueuedPush[] = [];
  private head = 0;
  private queuedBytes = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  private stream: Stream | undefined;

  constructor(
    private readonly libp2p: Libp2p,
    private readonly peerId: PeerId,
    private readonly maxQueued: number,
    private readonly maxQueuedBytes: number,
    private readonly log: DevnetLogger,
    private readonly onDead: (channel: PushChannel, undelivered: number) => void,
  ) {
    void this.run();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues one encoded MessagePush; returns how many older pushes were dropped to make room. */
  enqueue(frame: Uint8Array, delayMs: number): number {
    if (this.closed) return 1;
    let dropped = 0;
    while (
      this.queue.length > this.head &&
      (this.queue.length - this.head >= this.maxQueued || this.queuedBytes + frame.byteLength > this.maxQueuedBytes)
    ) {
      this.queuedBytes -= this.queue[this.head]?.frame.byteLength ?? 0;
      this.head += 1;
      dropped += 1;
    }
    this.compact();
    this.queue.push({ frame, dueAt: Date.now() + delayMs });
    this.queuedBytes += frame.byteLength;
    this.wake?.();
    return dropped;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.stream?.abort(new Error("filter push channel closed"));
  }

  private async run(): Promise<void> {
    try {
      const connection = this.libp2p.getConnections(this.peerId).find((c) => c.status === "open");
      if (connection === undefined) throw new Error("subscriber is not connected");
      this.stream = await connection.newStream(FILTER_PUSH_CODEC, { signal: AbortSignal.timeout(OPEN_TIMEOUT_MS) });
      if (this.closed) {
        this.stream.abort(new Error("filter push channel closed"));
        return;
      }
      await this.stream.sink(this.frames());
    } catch (err) {
      if (!this.closed) this.log.warn("filter-push", `push stream to ${this.peerId.toString()} failed: ${describeError(err)}`);
    } finally {
      const undelivered = this.queue.length - this.head;
      this.closed = true;
      this.queue = [];
      this.head = 0;
      this.queuedBytes = 0;
      this.wake?.(); // lets a generator parked on an empty queue finish
      this.onDead(this, undelivered);
    }
  }

  private async *frames(): AsyncGenerator<Uint8ArrayList> {
    while (!this.closed) {
      const next = this.queue[this.head];
      if (next === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const wait = next.dueAt - Date.now();
      if (wait > 0) await sleep(wait);
      if (this.closed) return;
      this.head += 1;
      this.queuedBytes -= next.frame.byteLength;
      this.compact();
      yield lp.encode.single(next.frame);
    }
  }

  /** Releases consumed entries once they make up most of the array. */
  private compact(): void {
    if (this.head > 1_024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
