/**
 * A worker that dies right after SDS commits an acknowledgement (or an expiry), before the request
 * heard of it: after the restart the request still ends acknowledged. Found by the simulation (seed 129).
 */
import { describe, expect, it } from "vitest";
import type { SdsWriteBatch } from "../../src/core/sds/index.js";
import { memoryStores, startManager } from "../support/channel-harness.js";
import { CrashError, CrashSwitch, crashable } from "../support/crash-stores.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const CHANNEL = { channelId: "room", contentTopic: "/rc-crash-ack/1/room/proto" };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const settlesOutgoing = (batch: SdsWriteBatch): boolean => batch.ops.some((op) => op.op === "putOutgoing" && op.record.state !== "pending");

describe("crash right after SDS settles an outgoing message", () => {
  it("the request ends acknowledged after the restart", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const bob = await startManager(network.createNode(), { time });
    await bob.openChannel({ ...CHANNEL, participantId: "bob" });
    const storage = memoryStores(time.clock);
    const crash = new CrashSwitch();
    const commit = storage.sds.commit.bind(storage.sds);
    storage.sds.commit = async (batch) => {
      await commit(batch);
      if (!crash.tripped && settlesOutgoing(batch)) {
        crash.tripped = true; // the commit landed; the worker dies before anyone hears back
        throw new CrashError("worker died after the acknowledgement committed");
      }
    };
    const aliceNode = network.createNode();
    const alice = await startManager(aliceNode, { time, stores: crashable(storage, crash), errors: [] });
    const channel = await alice.openChannel({ ...CHANNEL, participantId: "alice" });
    const { requestId } = await channel.send(text("hello"));
    await time.waitUntil(() => crash.tripped, "the acknowledgement to commit", 60_000);
    expect((await storage.channels.getRequest(requestId))?.status.state).not.toBe("acknowledged");
    aliceNode.setOnline(false);
    await alice.stop().catch(() => undefined);

    const again = await startManager(network.createNode(), { time, stores: storage });
    // Nothing left to resend: the channel resumes (and replays SDS's settlement) on first use.
    const reopened = await again.useChannel(CHANNEL.channelId);
    await time.waitUntil(async () => (await reopened?.request(requestId))?.status.state === "acknowledged", "the request to end acknowledged", 60_000);
    await Promise.all([bob.stop(), again.stop()]);
  });
});
