/**
 * A channel's requests whose status can still change, in memory: by request id, by SDS message
 * id and by idempotency key, bounded by `activeRequestCache` (older ones are read from the store).
 */
import type { ChannelStore } from "../ports/channel-store.js";
import type { OutboxRequest } from "./types.js";

export class ActiveRequests {
  private readonly active = new Map<string, OutboxRequest>();
  private readonly byMessageId = new Map<string, string>();
  private readonly byIdempotencyKey = new Map<string, string>();
  /** Prepared in memory, but their SDS log commit may still run: not to be written yet. */
  private readonly notDurable = new WeakSet<OutboxRequest>();

  constructor(
    private readonly store: Pick<ChannelStore, "findRequestByMessageId">,
    private readonly channelId: string,
    private readonly cacheLimit: number,
  ) {}

  /** How many requests are held in memory. */
  get size(): number {
    return this.active.size;
  }

  get(requestId: string): OutboxRequest | undefined {
    return this.active.get(requestId);
  }

  requestIdForKey(idempotencyKey: string): string | undefined {
    return this.byIdempotencyKey.get(idempotencyKey);
  }

  /** A request `send` just built (not durable yet): its key now counts as taken. */
  accept(request: OutboxRequest): void {
    this.active.set(request.requestId, request);
    if (request.idempotencyKey !== undefined) this.byIdempotencyKey.set(request.idempotencyKey, request.requestId);
    this.evictSettled();
  }

  /** Not accepted after all: forget it, so a retry of the same send is not mistaken for a duplicate. */
  forget(request: OutboxRequest): void {
    this.active.delete(request.requestId);
    if (request.idempotencyKey !== undefined) this.byIdempotencyKey.delete(request.idempotencyKey);
  }

  /** Retention removed these requests from the store: forget them here too. */
  drop(requestIds: readonly string[]): void {
    for (const requestId of requestIds) {
      const request = this.active.get(requestId);
      if (request) this.forgetHeld(requestId, request);
    }
  }

  /** The newest copy of a request already held (e.g. once prepared). */
  replace(request: OutboxRequest): void {
    this.active.set(request.requestId, request);
  }

  /**
   * Hold writes of this prepared copy until `markDurable`: stored as prepared before its SDS
   * log entry commits, a crash would leave a request nobody prepares or resends again.
   */
  markNotDurable(request: OutboxRequest): void {
    this.notDurable.add(request);
  }

  markDurable(request: OutboxRequest): void {
    this.notDurable.delete(request);
  }

  /** Whether writes of this copy must wait (its preparation writes it once durable). */
  isNotDurable(request: OutboxRequest): boolean {
    return this.notDurable.has(request);
  }

  linkMessage(messageId: string, requestId: string): void {
    this.byMessageId.set(messageId, requestId);
  }

  /** The request one of our SDS messages carries a part of, from memory or the store. */
  async requestFor(messageId: string): Promise<OutboxRequest | undefined> {
    const requestId = this.byMessageId.get(messageId);
    const cached = requestId === undefined ? undefined : this.active.get(requestId);
    if (cached) return cached;
    const stored = await this.store.findRequestByMessageId(this.channelId, messageId);
    if (stored) this.remember(stored);
    return stored;
  }

  remember(request: OutboxRequest): void {
    this.active.set(request.requestId, request);
    for (const id of request.messageIds) this.byMessageId.set(id, request.requestId);
    if (request.idempotencyKey !== undefined) this.byIdempotencyKey.set(request.idempotencyKey, request.requestId);
    this.evictSettled();
  }

  /**
   * Bound memory: past `activeRequestCache`, forget the oldest requests that are settled
   * (acknowledged or failed); the store still has them. Requests still in flight stay, since
   * their latest state may not be committed yet. Looks at a bounded number of entries per call.
   */
  private evictSettled(): void {
    let excess = this.active.size - this.cacheLimit;
    let budget = 64;
    for (const [requestId, request] of this.active) {
      if (excess <= 0 || budget-- <= 0) return;
      const settled = request.prepared && (request.status.state === "acknowledged" || request.status.state === "failed");
      if (!settled) continue;
      this.forgetHeld(requestId, request);
      excess--;
    }
  }

  private forgetHeld(requestId: string, request: OutboxRequest): void {
    this.active.delete(requestId);
    for (const id of request.messageIds) this.byMessageId.delete(id);
    if (request.idempotencyKey !== undefined) this.byIdempotencyKey.delete(request.idempotencyKey);
  }
}
