/**
 * A simulated Waku network for SDS property tests: N participants on one channel, a store that
 * keeps every published message by hash (retrieval hints), per-recipient in-flight queues that
 * the test reorders, drops and duplicates, and partitions (an isolated participant neither
 * publishes nor receives).
 */
import type { SdsChannel } from "../../src/core/sds/channel.js";
import type { Delivery } from "../../src/core/sds/events.js";
import type { SdsParamsInput } from "../../src/core/sds/params.js";
import { toHex } from "../../src/core/sds/random.js";
import { codec, hint, ManualClock, openChannel } from "./sds-fixtures.js";

interface InFlight {
  bytes: Uint8Array;
  hash: Uint8Array;
}

export class SimParticipant {
  readonly inbound: InFlight[] = [];
  readonly delivered: Delivery[] = [];
  isolated = false;
  constructor(
    readonly name: string,
    readonly channel: SdsChannel,
  ) {}
}

export class SdsNetworkSim {
  readonly clock = new ManualClock();
  readonly participants: SimParticipant[] = [];
  readonly store = new Map<string, Uint8Array>();
  /** Content message id -> its causal-history ids and sender. */
  readonly sent = new Map<string, { sender: string; dependencies: string[] }>();
  private hashes = 0;

  static async create(count: number, params: SdsParamsInput, seed: number): Promise<SdsNetworkSim> {
    const sim = new SdsNetworkSim();
    for (let i = 0; i < count; i++) {
      const name = `p${i}`;
      sim.participants.push(new SimParticipant(name, await openChannel(name, { clock: sim.clock, params, seed: seed * 31 + i })));
    }
    return sim;
  }

  /** Publish `bytes` from `from`: into the store and every other participant's queue. */
  private async publish(from: SimParticipant, bytes: Uint8Array, messageId: string, content: boolean): Promise<void> {
    if (from.isolated) return; // offline: nothing leaves the node
    const hash = hint(this.hashes++);
    this.store.set(toHex(hash), bytes);
    if (content) await from.channel.recordRetrievalHint(messageId, hash);
    for (const to of this.participants) if (to !== from && !to.isolated) to.inbound.push({ bytes, hash });
  }

  async send(index: number, content: Uint8Array): Promise<void> {
    const from = this.participants[index]!;
    const result = await from.channel.wrapOutgoing(content);
    if (result.status !== "new") throw new Error("unexpected duplicate");
    const decoded = codec.decode(result.bytes);
    if (!decoded.ok) throw decoded.error;
    this.sent.set(result.messageId, { sender: from.name, dependencies: decoded.message.causalHistory.map((e) => e.messageId) });
    await this.publish(from, result.bytes, result.messageId, true);
  }

  private record(p: SimParticipant, deliveries: readonly Delivery[]): void {
    p.delivered.push(...deliveries);
  }

  async deliver(index: number, pick: number, duplicate = false): Promise<void> {
    const to = this.participants[index]!;
    if (to.inbound.length === 0) return;
    const at = pick % to.inbound.length;
    const item = duplicate ? to.inbound[at]! : to.inbound.splice(at, 1)[0]!;
    const result = await to.channel.receive(item.bytes, { retrievalHint: item.hash });
    this.record(to, result.delivered);
  }

  drop(index: number, pick: number): void {
    const to = this.participants[index]!;
    if (to.inbound.length > 0) to.inbound.splice(pick % to.inbound.length, 1);
  }

  async tick(ms: number): Promise<void> {
    this.clock.advance(ms);
    for (const p of this.participants) {
      const due = await p.channel.due();
      this.record(p, due.delivered);
      for (const t of due.resend) await this.publish(p, t.bytes, t.messageId, false);
      if (due.sync !== undefined) await this.publish(p, due.sync.bytes, due.sync.messageId, false);
    }
  }

  /** Store query by retrieval hint for every missing dependency of participant `index`. */
  async retrieve(index: number): Promise<void> {
    const p = this.participants[index]!;
    if (p.isolated) return;
    for (const missing of p.channel.missingDependencies()) {
      if (missing.retrievalHint === undefined) continue;
      const bytes = this.store.get(toHex(missing.retrievalHint));
      if (bytes === undefined) continue;
      const result = await p.channel.receive(bytes, { retrievalHint: missing.retrievalHint });
      this.record(p, result.delivered);
    }
  }

  setIsolated(index: number, isolated: boolean): void {
    const p = this.participants[index]!;
    p.isolated = isolated;
    if (isolated) p.inbound.length = 0; // whatever was on its way is lost
  }

  /** Heal everything and run until quiet: deliver all, due work, store retrieval. */
  async settle(rounds: number, tickMs: number): Promise<void> {
    for (const p of this.participants) p.isolated = false;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < this.participants.length; i++) {
        while (this.participants[i]!.inbound.length > 0) await this.deliver(i, 0);
        await this.retrieve(i);
      }
      await this.tick(tickMs);
    }
    for (let i = 0; i < this.participants.length; i++) {
      while (this.participants[i]!.inbound.length > 0) await this.deliver(i, 0);
    }
  }
}
