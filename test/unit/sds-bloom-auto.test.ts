/**
 * "auto" bloom placement (the default): extension participants exchange only the compact filter;
 * once a message with only @waku/sds's field-12 filter arrives (a @waku/sds peer takes part),
 * our small messages carry field 12 as well (so that peer reads our acknowledgements) for
 * `WAKU_PEER_WINDOW_MS`; large ones never do; and two "auto" peers never switch each other on.
 */
import { proto_sds_message } from "@waku/proto";
import { describe, expect, it } from "vitest";
import { FIELD12_MAX_CONTENT_BYTES, WAKU_PEER_WINDOW_MS } from "../../src/core/sds/bloom-port.js";
import type { SdsChannel } from "../../src/core/sds/channel.js";
import { parseField12Bloom, WAKU_BLOOM_BYTES } from "../../src/wire/sds-bloom.js";
import { codec, ManualClock, openChannel, text } from "../support/sds-fixtures.js";

/** Which filters a message of ours carries on the wire. */
function filtersOf(bytes: Uint8Array): { field12: boolean; compact: boolean } {
  const raw = proto_sds_message.SdsMessage.decode(bytes);
  const decoded = codec.decode(bytes);
  if (!decoded.ok) throw decoded.error;
  return { field12: raw.bloomFilter?.length === WAKU_BLOOM_BYTES, compact: decoded.message.bloomForm === "compact" };
}

async function send(channel: SdsChannel, content: Uint8Array): Promise<Uint8Array> {
  const wrapped = await channel.wrapOutgoing(content);
  if (wrapped.status !== "new") throw new Error("expected a new message");
  return wrapped.bytes;
}

describe("auto bloom placement", () => {
  it("compact only among extension participants, both after a @waku/sds peer spoke, compact again after the window", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock });
    // A @waku/sds-like peer: only field 12.
    const js = await openChannel("js-peer", { clock, params: { bloom: { placement: "waku" } } });

    const first = await send(alice, text("hello"));
    expect(filtersOf(first)).toEqual({ field12: false, compact: true });
    await bob.receive(first);
    const reply = await send(bob, text("hi"));
    await alice.receive(reply);
    // An extension peer's message does not switch alice on.
    expect(filtersOf(await send(alice, text("still compact")))).toEqual({ field12: false, compact: true });

    const fromJs = await send(js, text("from a js peer"));
    expect(filtersOf(fromJs)).toEqual({ field12: true, compact: false });
    await alice.receive(fromJs);
    const mixed = await send(alice, text("now both"));
    expect(filtersOf(mixed)).toEqual({ field12: true, compact: true });
    // The js peer reads alice's field 12: its own message is in it.
    const field12 = parseField12Bloom(proto_sds_message.SdsMessage.decode(mixed).bloomFilter!);
    const jsMessage = codec.decode(fromJs);
    if (!jsMessage.ok) throw jsMessage.error;
    expect(field12?.mightContain(jsMessage.message.messageId)).toBe(true);
    // Bob, an "auto" peer, gets both and is not switched on by them (the compact one is read).
    await bob.receive(mixed);
    expect(filtersOf(await send(bob, text("bob stays compact")))).toEqual({ field12: false, compact: true });
    // Large content never carries field 12.
    expect(filtersOf(await send(alice, new Uint8Array(FIELD12_MAX_CONTENT_BYTES + 1).fill(1))).field12).toBe(false);
    // Syncs carry it too while the peer is around.
    clock.advance(5 * 60_000);
    const due = await alice.due();
    if (due.sync) expect(filtersOf(due.sync.bytes).field12).toBe(true);
    // An hour without the js peer: compact only again.
    clock.advance(WAKU_PEER_WINDOW_MS);
    expect(filtersOf(await send(alice, text("compact again")))).toEqual({ field12: false, compact: true });
  });
});
