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
 * - when the stream fails or closes the channel reports itself dead exactly once and hands back
 *   what it still held plus the last `REPLAY_TAIL` frames it had written (a failing stream may
 *   have lost them on the way); the owner re-pushes them over a fresh stream while the
 *   subscriber stays connected. So a push stream lost mid-flight (a connection closing under
 *   it, a reset) costs the subscriber at most duplicates, which every Waku client drops by
 *   message hash, never a message.
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import * as lp from "it-length-prefixed";
import type { Uint8ArrayList } from "uint8arraylist";
import { describeError, type DevnetLogger } from "../log.js";
import { sleep } from "../stream-io.js";

export const FILTER_PUSH_CODEC = "/vac/waku/filter-push/2.0.0-beta1";

const OPEN_TIMEOUT_MS = 10_000;
/** Frames already written that a failed stream hands back for replay (a muxer's in-flight window). */
export const REPLAY_TAIL = 64;

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
  /** The last frames written, oldest first (at most REPLAY_TAIL). */
  private written: Uint8Array[] = [];
  private writtenCount = 0;
  /** Whether the stream ended by the owner closing it (nothing to replay then). */
  private closedByOwner = false;
  /** The subscriber reset the stream (see `watchForReset`). */
  private remoteFailed = false;

  constructor(
    private readonly libp2p: Libp2p,
    private readonly peerId: PeerId,
    private readonly maxQueued: number,
    private readonly maxQueuedBytes: number,
    private readonly log: DevnetLogger,
    /**
     * `leftovers`: frames to re-push (written-but-unconfirmed, then unsent), oldest first, after a
     * failure; after `close()` none, and `discarded` says how many unsent frames went with it.
     */
    private readonly onDead: (channel: PushChannel, leftovers: readonly Uint8Array[], discarded: number) => void,
  ) {
    void this.run();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Frames written to the stream so far (replays included). */
  get framesWritten(): number {
    return this.writtenCount;
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
    this.closedByOwner = true;
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
      // A reset stream's sink may never settle: whichever comes first ends this channel.
      const writing = this.stream.sink(this.frames());
      writing.catch(() => undefined); // the race reports a failure; this keeps a late one from going unhandled
      await Promise.race([writing, this.resetOf(this.stream)]);
    } catch (err) {
      if (!this.closed) this.log.warn("filter-push", `push stream to ${this.peerId.toString()} failed: ${describeError(err)}`);
    } finally {
      const unsent = this.queue.slice(this.head).map((q) => q.frame);
      const leftovers = this.closedByOwner ? [] : [...this.written, ...unsent];
      this.closed = true;
      this.queue = [];
      this.head = 0;
      this.queuedBytes = 0;
      this.written = [];
      this.wake?.(); // lets a generator parked on an empty queue finish
      this.onDead(this, leftovers, this.closedByOwner ? unsent.length : 0);
    }
  }

  /**
   * Resolves when the subscriber resets the stream. A subscriber writes nothing on a push stream,
   * so its read side only ever ends; a reset (the connection closing under it, an abort) is
   * noticed here at once, not at the next write, and the frames written before it are handed
   * back for replay instead of waiting, lost, in a dead stream. A clean end is no failure.
   */
  private resetOf(stream: Stream): Promise<void> {
    return new Promise<void>((resolve) => {
      void (async () => {
        try {
          for await (const chunk of stream.source) void chunk;
        } catch (err) {
          if (this.closed) return;
          this.log.debug(`filter push stream to ${this.peerId.toString()} reset: ${describeError(err)}`);
          this.remoteFailed = true;
          this.wake?.(); // lets the generator finish
          resolve();
        }
      })();
    });
  }

  private async *frames(): AsyncGenerator<Uint8ArrayList> {
    while (!this.closed && !this.remoteFailed) {
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
      if (this.closed || this.remoteFailed) return;
      this.head += 1;
      this.queuedBytes -= next.frame.byteLength;
      this.compact();
      this.written.push(next.frame);
      this.writtenCount += 1;
      if (this.written.length > REPLAY_TAIL) this.written.shift();
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
