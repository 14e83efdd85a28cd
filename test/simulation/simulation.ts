/**
 * One seeded run of the whole core (ChannelManager: segmentation, SDS, rate limit, delivery) for
 * 3-5 participants on one keyless channel, under faults, on virtual time; returns what broke.
 *
 * Everything random comes from the seed: the plan (sends, waits, partitions, store wipes, fault
 * levels, crash points), the network's faults and each worker incarnation's SDS randomness. A
 * participant's worker "crashes" at a chosen storage write (test/support/crash-stores.ts), before
 * or after that write lands: every later write of that incarnation throws, its network goes, and
 * a new worker restarts on what committed. Then faults heal and the run settles; the invariants are checked on what is durable.
 */
import { ChannelManager, type ChannelManagerOptions, type ChannelStores } from "../../src/core/channel/channel-manager.js";
import type { ReliableChannel } from "../../src/core/channel/reliable-channel.js";
import type { InboxEntry } from "../../src/core/channel/types.js";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { WakuSymmetricCipher } from "../../src/crypto/waku-symmetric-cipher.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { memoryStores } from "../support/channel-harness.js";
import { CrashSwitch, crashable } from "../support/crash-stores.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { seededRandom as seededSdsRandom } from "../support/seeded-random.js";
import { VirtualTime } from "../support/virtual-time.js";
import { NO_FAULTS, SimNetwork, type SimTransport } from "./sim-network.js";

const CHANNEL = { channelId: "room", contentTopic: "/rc-sim/1/room/proto" };
const codec = new WakuSdsCodec();
const cipher = new WakuSymmetricCipher();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A payload is `p<i>:<n>`, padded after a `|` for segmented sends: this is its `p<i>:<n>`. */
const idOf = (b: Uint8Array): string => new TextDecoder().decode(b).split("|")[0] as string;
/** Over SEGMENT_BYTES: goes out as segments (data + parity), reassembled by the receiver. */
const LARGE_PADDING = "|" + "x".repeat(9_000);
const SEGMENT_BYTES = 4_096;

/** Protocol timers shrunk so a run covers many resend/sync rounds; finite retries so requests settle. */
const OPTIONS: ChannelManagerOptions = {
  sds: {
    ackSyncDelay: { minMs: 20, maxMs: 60 },
    resend: { initialDelayMs: 400, maxDelayMs: 3_000, maxTransmissions: 12 },
    syncInterval: { minMs: 2_000, maxMs: 4_000 },
    irretrievableAfterMs: 30_000,
  },
  delivery: { storeCheckDelayMs: 50, backoff: { initialMs: 50, maxMs: 1_000 } },
  limits: { retrievalIntervalMs: 300, singleMessageMaxBytes: SEGMENT_BYTES, segmentSize: SEGMENT_BYTES, maxPayloadBytes: 256 * 1024 },
};

/** Plan steps per seed; SIM_STEPS=n for longer, harsher runs. */
const STEPS = Number(process.env.SIM_STEPS ?? 40);
const SETTLE_LIMIT_MS = 30 * 60_000;

interface Accepted {
  requestId: string;
  sender: string;
  payload: string;
}

class Participant {
  readonly storage: ChannelStores;
  crash = new CrashSwitch();
  transport!: SimTransport;
  manager: ChannelManager | undefined;
  channel: ReliableChannel | undefined;
  incarnation = 0;
  isolated = false;
  sent = 0;
  readonly errors: unknown[] = [];

  constructor(
    readonly name: string,
    readonly index: number,
    time: VirtualTime,
  ) {
    this.storage = memoryStores(time.clock);
  }
}

export interface SimResult {
  seed: number;
  participants: number;
  accepted: number;
  /** Of the accepted, how many ended acknowledged (the rest failed). */
  acknowledged: number;
  /** Inbox entries across participants (at most accepted x (participants - 1), plus unaccepted sends that got out). */
  delivered: number;
  /** (message, dependency) pairs the causal-order check compared. */
  causalPairs: number;
  crashes: number;
  violations: string[];
  /** The plan as it ran, for reading a failure. */
  trace: string[];
}

export async function runSimulation(seed: number): Promise<SimResult> {
  const random = seededSdsRandom(seed).unit;
  const pick = (n: number): number => Math.floor(random() * n);
  const time = new VirtualTime(undefined, 1); // memory stores only: one loop turn settles
  const loopback = new LoopbackNetwork({ clock: time.clock });
  const net = new SimNetwork(loopback, time.scheduler, seededSdsRandom(seed ^ 0x5eed).unit);
  const trace: string[] = [];
  const log = (line: string): void => void trace.push(`t+${time.now() - 1_735_689_600_000} ${line}`);
  const people = Array.from({ length: 3 + pick(3) }, (_, i) => new Participant(`p${i}`, i, time));
  const accepted: Accepted[] = [];
  let crashes = 0;
  let crashesAllowed = true;
  // Some seeds wipe the store node: then a message acknowledged by one participant may be lost
  // for good to another (no copy left to retrieve), so only seeds without wipes demand delivery to all.
  const wipes = random() < 0.4;
  let storeWiped = false;

  const crashPlan = (): number => (crashesAllowed && random() < 0.35 ? 1 + pick(60) : Number.POSITIVE_INFINITY);

  async function start(p: Participant): Promise<void> {
    p.incarnation++;
    p.crash = new CrashSwitch(crashPlan(), random() < 0.5 ? "before" : "after");
    p.transport = net.node();
    if (p.isolated) p.transport.node.setOnline(false);
    try {
      p.manager = await ChannelManager.start(
        {
          stores: crashable(p.storage, p.crash),
          transport: p.transport,
          clock: time.clock,
          scheduler: time.scheduler,
          cipher,
          codec,
          keccak256,
          random: seededSdsRandom(seed * 1_000 + p.index * 50 + p.incarnation),
          reportError: (error) => void p.errors.push(error),
        },
        OPTIONS,
      );
      p.channel = p.manager.channel(CHANNEL.channelId) ?? (await p.manager.openChannel({ ...CHANNEL, participantId: p.name }));
    } catch (error) {
      if (!p.crash.tripped) throw error;
    }
  }

  /** A tripped worker is gone: its network and timers with it; a new one starts on what committed. */
  async function reapCrashed(): Promise<void> {
    for (const p of people) {
      if (!p.crash.tripped) continue;
      crashes++;
      log(`${p.name} worker crashed at write ${p.crash.writes}, ${p.crash.mode} it landed (incarnation ${p.incarnation})`);
      p.transport.kill();
      const dead = p.manager;
      p.manager = undefined;
      p.channel = undefined;
      await dead?.stop().catch(() => undefined);
      await start(p);
    }
  }

  for (const p of people) await start(p);
  await reapCrashed();

  for (let step = 0; step < STEPS; step++) {
    const roll = random();
    if (roll < 0.45) {
      const p = people[pick(people.length)] as Participant;
      const payload = `${p.name}:${p.sent++}`;
      const channel = p.channel;
      if (channel) {
        log(`${p.name} sends ${payload}`);
        // Not awaited: a worker may die mid-send; only a send that returned is accepted.
        void channel.send(text(random() < 0.1 ? payload + LARGE_PADDING : payload)).then(
          ({ requestId }) => void accepted.push({ requestId, sender: p.name, payload }),
          () => undefined,
        );
      }
    } else if (roll < 0.75) {
      const ms = pick(800);
      await time.advance(ms);
    } else if (roll < 0.85) {
      const p = people[pick(people.length)] as Participant;
      p.isolated = !p.isolated;
      p.transport.node.setOnline(!p.isolated);
      log(`${p.name} ${p.isolated ? "partitioned" : "rejoins"}`);
    } else if (roll < 0.95) {
      net.faults = { loss: random() * 0.4, duplicate: random() * 0.3, maxDelayMs: pick(400) };
      log(`faults ${JSON.stringify(net.faults)}`);
    } else if (wipes) {
      loopback.wipeStore();
      storeWiped = true;
      log("store wiped");
    }
    await time.settle();
    await reapCrashed();
  }

  // Heal: no more faults, partitions or crashes; let resends, syncs and retrieval finish.
  log("heal");
  net.faults = NO_FAULTS;
  crashesAllowed = false;
  for (const p of people) {
    p.isolated = false;
    p.crash.crashAtWrite = Number.POSITIVE_INFINITY;
  }
  await reapCrashed();
  for (const p of people) p.transport.node.setOnline(true);

  const stateOf = async (a: Accepted): Promise<string> => {
    const sender = people.find((p) => p.name === a.sender) as Participant;
    return (await sender.channel?.request(a.requestId))?.status.state ?? "unknown";
  };
  /** Quiet: every accepted request final, nothing buffered on a missing dependency nor awaiting hand-off. */
  const settled = async (): Promise<boolean> => {
    for (const a of accepted) {
      const state = await stateOf(a);
      if (state !== "acknowledged" && state !== "failed") return false;
    }
    for (const p of people) {
      const sds = await p.storage.sds.load(CHANNEL.channelId);
      if (sds && (sds.buffered.length > 0 || sds.inbox.length > 0)) return false;
    }
    return true;
  };
  const healedAt = time.now();
  while (!(await settled()) && time.now() - healedAt < SETTLE_LIMIT_MS) await time.advance(5_000);
  await time.advance(10_000); // room for late duplicates to show up

  const { violations, delivered, causalPairs } = await checkInvariants(people, accepted, loopback, stateOf, !storeWiped);
  const states = await Promise.all(accepted.map(stateOf));
  const acknowledged = states.filter((state) => state === "acknowledged").length;
  log(`end: ${time.fired} timers fired, settled after ${time.now() - healedAt} ms`);
  return { seed, participants: people.length, accepted: accepted.length, acknowledged, delivered, causalPairs, crashes, violations, trace };
}

async function inboxOf(p: Participant): Promise<InboxEntry[]> {
  const entries: InboxEntry[] = [];
  let cursor = 0;
  for (;;) {
    const page = await (p.channel as ReliableChannel).messages(cursor, 100);
    entries.push(...page.messages);
    if (page.messages.length === 0 || page.cursor === cursor) return entries;
    cursor = page.cursor;
  }
}

async function checkInvariants(
  people: Participant[],
  accepted: Accepted[],
  loopback: LoopbackNetwork,
  stateOf: (a: Accepted) => Promise<string>,
  /** No store wipe happened: every accepted message must reach every other participant. */
  complete: boolean,
): Promise<{ violations: string[]; delivered: number; causalPairs: number }> {
  const violations: string[] = [];
  let delivered = 0;
  let causalPairs = 0;
  // SDS message id -> its causal history, from what went on the wire.
  const dependencies = new Map<string, string[]>();
  for (const m of loopback.published) {
    const decoded = codec.decode(m.payload);
    if (decoded.ok && decoded.message.content !== undefined && decoded.message.content.length > 0) {
      dependencies.set(decoded.message.messageId, decoded.message.causalHistory.map((e) => e.messageId));
    }
  }
  const inboxes = new Map<string, InboxEntry[]>();
  for (const p of people) {
    if (!p.channel) {
      violations.push(`${p.name}: no live channel after healing`);
      continue;
    }
    const inbox = await inboxOf(p);
    inboxes.set(p.name, inbox);
    delivered += inbox.filter((entry) => entry.requestId === undefined).length;
    // Exactly once: no payload twice in the app's inbox (each payload is unique per send).
    const seen = new Map<string, number>();
    for (const entry of inbox) {
      const payload = idOf(entry.payload);
      seen.set(payload, (seen.get(payload) ?? 0) + 1);
      // Its own sends are in its inbox as its own (recorded when accepted, with their request
      // id); one coming back from the network as a received message would be an echo leaking.
      if (entry.senderId === p.name && entry.requestId === undefined) violations.push(`${p.name}: own message ${payload} received from the network`);
      if (entry.senderId !== p.name && entry.requestId !== undefined) violations.push(`${p.name}: ${payload} of ${entry.senderId} recorded as its own send`);
    }
    for (const [payload, count] of seen) if (count > 1) violations.push(`${p.name}: ${payload} delivered ${count} times`);
    // Causal order: a message's causal history that this participant has comes before it.
    const position = new Map(inbox.map((entry, i) => [entry.key, i]));
    for (const [i, entry] of inbox.entries()) {
      // An own send sits where it was accepted, before its SDS wrap chose its causal history.
      if (entry.afterLoss || entry.requestId !== undefined) continue;
      for (const dependency of dependencies.get(entry.key) ?? []) {
        const at = position.get(dependency);
        if (at !== undefined) causalPairs++;
        if (at !== undefined && at > i) violations.push(`${p.name}: ${idOf(entry.payload)} delivered before its dependency ${idOf(inbox[at]!.payload)}`);
      }
    }
  }
  for (const a of accepted) {
    const sender = people.find((p) => p.name === a.sender) as Participant;
    const info = await sender.channel?.request(a.requestId);
    const state = await stateOf(a);
    // Every accepted message ends acknowledged or failed.
    if (state !== "acknowledged" && state !== "failed") {
      const record = await sender.storage.channels.getRequest(a.requestId);
      const sds = await sender.storage.sds.load(CHANNEL.channelId);
      const outgoing = (record?.messageIds ?? []).map((id) => {
        const o = sds?.outgoing.find((r) => r.messageId === id);
        const { bytes: _bytes, content: _content, ...rest } = (o ?? {}) as Record<string, unknown>;
        return o ? `${id.slice(0, 8)} outgoing in SDS ${process.env.SIM_DEBUG ? JSON.stringify({ ...rest, lamport: String(rest.lamport), causalHistory: undefined }) : ""}` : `${id.slice(0, 8)} not in SDS outgoing`;
      });
      violations.push(`${a.payload} (${a.requestId}) ended ${state} (prepared: ${record?.prepared}, ${outgoing.join(", ") || "no message ids"})`);
    }
    // The sender's own conversation has it once, as its own.
    const own = inboxes.get(a.sender)?.filter((e) => e.requestId === a.requestId) ?? [];
    if (inboxes.has(a.sender) && (own.length !== 1 || idOf(own[0]!.payload) !== a.payload)) violations.push(`${a.payload} is ${own.length} times in its sender's inbox`);
    // Exactly once, the "at least" half: with the store intact, everyone else gets it.
    if (complete) {
      for (const [name, inbox] of inboxes) {
        if (name !== a.sender && !inbox.some((e) => idOf(e.payload) === a.payload)) violations.push(`${a.payload} never delivered to ${name}`);
      }
    }
    // Whoever acknowledged it has it.
    if (info?.status.state === "acknowledged") {
      for (const by of info.status.ackedBy) {
        const inbox = inboxes.get(by);
        if (inbox && !inbox.some((e) => idOf(e.payload) === a.payload)) {
          const receiver = people.find((p) => p.name === by) as Participant;
          const ids = (await sender.storage.channels.getRequest(a.requestId))?.messageIds ?? [];
          const sds = await receiver.storage.sds.load(CHANNEL.channelId);
          const where = ids.map((id) => {
            const places = [
              sds?.history.some((r) => r.messageId === id) ? "history" : "",
              sds?.inbox.some((r) => r.messageId === id) ? "sds-inbox" : "",
              sds?.buffered.some((r) => r.messageId === id) ? "buffered" : "",
              sds?.missing.some((r) => r.messageId === id) ? `missing(${sds.missing.find((r) => r.messageId === id)?.state})` : "",
            ].filter(Boolean);
            return `${id.slice(0, 8)}: ${places.join("+") || "nowhere"} in ${by}'s SDS`;
          });
          violations.push(`${a.payload} acknowledged by ${by}, not in ${by}'s inbox (${where.join(", ")})`);
        }
      }
    }
  }
  // Nothing invented: every inbox entry is a payload some participant's app sent (accepted or not).
  for (const [name, inbox] of inboxes) {
    for (const entry of inbox) {
      const whole = new TextDecoder().decode(entry.payload);
      const id = idOf(entry.payload);
      if (!/^p\d+:\d+$/.test(id) || (whole !== id && whole !== id + LARGE_PADDING)) violations.push(`${name}: unexpected payload ${whole.slice(0, 40)}`);
    }
  }
  return { violations, delivered, causalPairs };
}
