/**
 * One seeded run of the SDS-R scenario on the whole core (ChannelManager over the simulated
 * network, virtual time): a gap that neither the store nor the original sender can fill is
 * repaired by a third participant's rebroadcast.
 *
 * Alice sends m1 while bob is offline; the holders (carol, and in some seeds more) get and
 * acknowledge it. The store is wiped, alice goes offline for good, bob comes back and learns of m1
 * from a holder's next message (its causal history). His store queries find nothing; after T_req
 * his sync asks for m1 (`repair_request`), a holder rebroadcasts it at its T_resp, the others
 * cancel theirs. With `restartResponders`, every holder's worker stops right after bob's request
 * arrived and a new one starts on the same stores: the answer it owes must survive that.
 * Everything random (timers, network delays) comes from the seed.
 */
import { ChannelManager, type ChannelManagerOptions, type ChannelStores } from "../../src/core/channel/channel-manager.js";
import type { ReliableChannel } from "../../src/core/channel/reliable-channel.js";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { WakuSymmetricCipher } from "../../src/crypto/waku-symmetric-cipher.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { memoryStores } from "../support/channel-harness.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { seededRandom } from "../support/seeded-random.js";
import { VirtualTime } from "../support/virtual-time.js";
import { SimNetwork, type SimTransport } from "./sim-network.js";

const CHANNEL = { channelId: "room", contentTopic: "/rc-sim/1/repair/proto" };
const codec = new WakuSdsCodec();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

/** SDS-R at its defaults (T_min 30 s, T_max 120 s); the gap is declared lost only after 10 min. */
const OPTIONS: ChannelManagerOptions = {
  sds: { ackSyncDelay: { minMs: 20, maxMs: 60 }, resend: { initialDelayMs: 2_000, maxDelayMs: 20_000, maxTransmissions: 6 } },
  delivery: { storeCheckDelayMs: 50, backoff: { initialMs: 50, maxMs: 1_000 } },
};

interface Publication {
  readonly from: string;
  readonly messageId: string;
  readonly repairRequest: readonly string[];
  readonly at: number;
}

export interface RepairRunResult {
  readonly seed: number;
  readonly holders: number;
  /** What bob's conversation holds, in order. */
  readonly bobInbox: string[];
  /** Who put m1 on the network after the original publication (the repairs). */
  readonly m1Rebroadcasts: string[];
  /** Whether bob's messages asked for m1. */
  readonly requested: boolean;
  readonly alicePublishedAfterOffline: number;
  /** Virtual ms from bob's return to m1 in his inbox (or null). */
  readonly repairedAfterMs: number | null;
  readonly errors: string[];
  /** Holders whose worker restarted while owing the answer. */
  readonly restarted: number;
}

class Node {
  manager!: ChannelManager;
  channel!: ReliableChannel;
  transport!: SimTransport;
  incarnation = 0;
  constructor(
    readonly name: string,
    readonly index: number,
    readonly stores: ChannelStores,
  ) {}
}

export async function runRepairScenario(seed: number, restartResponders = false): Promise<RepairRunResult> {
  const pick = seededRandom(seed).unit;
  const time = new VirtualTime(undefined, 1);
  const loopback = new LoopbackNetwork({ clock: time.clock });
  const net = new SimNetwork(loopback, time.scheduler, seededRandom(seed ^ 0x5eed).unit);
  net.faults = { loss: 0, duplicate: 0, maxDelayMs: 50 + Math.floor(pick() * 200) };
  const publications: Publication[] = [];
  const errors: string[] = [];
  const holderCount = 1 + Math.floor(pick() * 3); // carol, and 0-2 more
  const names = ["alice", "bob", ...["carol", "dave", "erin"].slice(0, holderCount)];
  const nodes = new Map<string, Node>();

  const start = async (node: Node): Promise<void> => {
    const name = node.name;
    node.incarnation++;
    node.transport = net.node();
    const publish = node.transport.publish;
    node.transport.publish = async (message, method) => {
      const result = await publish(message, method);
      const decoded = codec.decode(message.payload);
      if (result.ok && decoded.ok) {
        publications.push({ from: name, messageId: decoded.message.messageId, repairRequest: decoded.message.repairRequest.map((e) => e.messageId), at: time.now() });
      }
      return result;
    };
    node.manager = await ChannelManager.start(
      {
        stores: node.stores,
        transport: node.transport,
        clock: time.clock,
        scheduler: time.scheduler,
        cipher: new WakuSymmetricCipher(),
        codec,
        keccak256,
        random: seededRandom(seed * 100 + node.index * 10 + node.incarnation),
        reportError: (error) => void errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`),
      },
      OPTIONS,
    );
    node.channel = node.manager.channel(CHANNEL.channelId) ?? (await node.manager.openChannel({ ...CHANNEL, participantId: name }));
  };
  for (const [index, name] of names.entries()) {
    const node = new Node(name, index, memoryStores(time.clock));
    await start(node);
    nodes.set(name, node);
  }
  const alice = nodes.get("alice") as Node;
  const bob = nodes.get("bob") as Node;
  const carol = nodes.get("carol") as Node;
  const holders = names.slice(2).map((name) => nodes.get(name) as Node);

  // Bob is away while alice sends m1; the holders get and acknowledge it.
  bob.transport.node.setOnline(false);
  await time.advance(1_000);
  const { requestId } = await alice.channel.send(text("m1"));
  await time.advance(10_000);
  const m1Id = (await alice.channel.request(requestId))?.parts[0]?.messageId;
  if (m1Id === undefined) throw new Error("m1 has no SDS message id");
  for (const holder of holders) {
    if (!(await inboxOf(holder.channel)).includes("m1")) errors.push(`${holder.name} did not get m1 before the gap was made`);
  }
  if ((await alice.channel.request(requestId))?.status.state !== "acknowledged") errors.push("m1 was not acknowledged before alice left");

  // No copy left but the holders': the store is wiped, alice is gone for good.
  loopback.wipeStore();
  alice.transport.node.setOnline(false);
  const aliceOfflineAt = time.now();
  await time.advance(Math.floor(pick() * 5_000));

  // Bob comes back; carol's next message names m1 in its causal history.
  bob.transport.node.setOnline(true);
  const backAt = time.now();
  await time.advance(500);
  await carol.channel.send(text("m2"));

  let repairedAt: number | null = null;
  let restarted = 0;
  const asked = (): boolean => publications.some((p) => p.from === "bob" && p.repairRequest.includes(m1Id));
  while (time.now() - backAt < 9 * 60_000) {
    await time.advance(1_000);
    if (restartResponders && restarted === 0 && asked()) {
      // Once the request reached the holders (network delay <= 250 ms): their workers stop and start again.
      await time.advance(300);
      for (const holder of holders) {
        if ((await holder.stores.sds.load(CHANNEL.channelId))?.repairResponses.length !== 1) errors.push(`${holder.name} owed no answer when stopped`);
        holder.transport.kill();
        await holder.manager.stop();
        await start(holder);
        restarted++;
      }
    }
    if ((await inboxOf(bob.channel)).includes("m1")) {
      repairedAt = time.now();
      break;
    }
  }
  await time.advance(3 * 60_000); // late answers would show up by now (T_max is 2 min)

  const first = publications.findIndex((p) => p.messageId === m1Id);
  const m1Rebroadcasts = publications.slice(first + 1).filter((p) => p.messageId === m1Id).map((p) => p.from);
  const result: RepairRunResult = {
    seed,
    holders: holders.length,
    bobInbox: await inboxOf(bob.channel),
    m1Rebroadcasts,
    requested: publications.some((p) => p.from === "bob" && p.repairRequest.includes(m1Id)),
    alicePublishedAfterOffline: publications.filter((p) => p.from === "alice" && p.at >= aliceOfflineAt).length,
    repairedAfterMs: repairedAt === null ? null : repairedAt - backAt,
    errors,
    restarted,
  };
  for (const node of nodes.values()) await node.manager.stop();
  return result;
}

async function inboxOf(channel: ReliableChannel): Promise<string[]> {
  const page = await channel.messages(0, 100);
  return page.messages.map((m) => untext(m.payload));
}
