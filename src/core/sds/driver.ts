/**
 * Drives an SdsChannel's time-based work through the Scheduler port: one timer at the
 * channel's `nextWakeAt()`, firing `due()` and handing the result to `onDue` (transmit resends
 * and syncs). In the extension the host mirrors the same deadline into a browser alarm
 * wake-up; nothing here keeps a worker alive on its own.
 *
 * Guarantees: at most one timer per driver; after `stop()` no `due()` starts; errors from
 * `due()` or `onDue` go to `onError` (never swallowed) and the driver re-arms; a step that left
 * resends due is followed by the next one only after `RESEND_BACKLOG_PAUSE_MS`.
 */
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import { RESEND_BACKLOG_PAUSE_MS } from "./ack-and-resend.js";
import type { DueResult, SdsChannel } from "./channel.js";

const ERROR_RETRY_MS = 1_000;

export interface SdsDueDriverOptions {
  readonly channel: SdsChannel;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly onDue: (result: DueResult) => void | Promise<void>;
  readonly onError: (error: unknown) => void;
}

export class SdsDueDriver {
  private timer: TimerHandle | undefined;
  private armedFor: number | null = null;
  private running = false;
  private firing = false;
  /** No step before this time (a backlog pause or an error retry; pokes do not shorten it). */
  private notBeforeMs = 0;

  constructor(private readonly options: SdsDueDriverOptions) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = null;
  }

  /** Re-read the channel's next deadline (call after sending or receiving). */
  poke(): void {
    if (this.running && !this.firing) this.arm();
  }

  private arm(minDelayMs = 0): void {
    let at: number | null;
    try {
      at = this.options.channel.nextWakeAt();
    } catch (error) {
      this.options.onError(error); // channel unusable (reopen needed): stay disarmed
      return;
    }
    if (at === this.armedFor && this.timer !== undefined) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = at;
    if (at === null) return;
    const now = this.options.clock.now();
    const delay = Math.max(minDelayMs, at - now, this.notBeforeMs - now, 0);
    this.timer = this.options.scheduler.setTimeout(() => void this.fire(), delay);
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    this.armedFor = null;
    if (!this.running) return;
    this.firing = true;
    let pause = 0;
    try {
      const result = await this.options.channel.due();
      // A resend backlog drains in slices with a pause between them (see RESEND_BACKLOG_PAUSE_MS).
      if (result.backlog) pause = RESEND_BACKLOG_PAUSE_MS;
      await this.options.onDue(result);
    } catch (error) {
      pause = ERROR_RETRY_MS; // wait before retrying so a persistent error cannot spin
      this.options.onError(error);
    } finally {
      this.firing = false;
    }
    this.notBeforeMs = this.options.clock.now() + pause;
    if (this.running) this.arm(pause);
  }
}
