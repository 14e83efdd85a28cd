/**
 * (3) Time to acknowledgement: how long after `send` the sender learns that the other side has
 * the message (SDS acknowledgement: the message id shows up in the causal history of a message
 * the receiver sent), with
 * - a silent receiver: its app sends nothing, so an ack can only ride on whatever the library
 *   sends by itself (ext: an ack sync 0.5-3 s after delivering; sdk: its periodic sync), and
 * - a chatting receiver: its app sends its own message every CHAT_EVERY_MS on the same channel,
 *   so acks can ride on content messages.
 * Measured in the sending page: send call -> first `acknowledged` event of that id (ext: status
 * `acknowledged`; sdk: `message-acknowledged`). The sdk's `message-possibly-acknowledged` (bloom
 * filter hits) is reported too. Messages are spaced SPACING_MS apart; after the last send each
 * round waits for every ack up to a deadline and counts what did not come as unacknowledged
 * (percentiles then treat those as later than the deadline).
 *
 * Both systems use the shared pages of the bench channel (their receivers have sent nothing in
 * earlier scenarios); rounds alternate A B / B A across phases.
 */
import { eventTimes, roundOrder, sleep, waitEvents, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, lowerIsBetter, type Section } from "../report.js";

const SPACING_MS = 300;
const CHAT_EVERY_MS = 500;
const PHASES = ["silent", "chatting"] as const;
type Phase = (typeof PHASES)[number];

interface Round {
  phase: Phase;
  round: number;
  sent: number;
  /** send -> acknowledged per message, Infinity when not acknowledged before the deadline. */
  ack: number[];
  /** send -> possibly-acknowledged (sdk only; Infinity when none). */
  possibly: number[];
  chatSent: number;
}

/** Quantile with unacknowledged messages counted as later than everything (Infinity). */
function quantileInf(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = sorted[Math.floor(position)] as number;
  const upper = sorted[Math.ceil(position)] as number;
  if (!Number.isFinite(upper)) return Number.POSITIVE_INFINITY;
  return lower + (upper - lower) * (position - Math.floor(position));
}

export const ackScenario: Scenario = {
  id: 3,
  title: "Time to acknowledgement",
  async run(ctx: BenchContext, section: Section) {
    const rounds = ctx.quick ? 1 : 2;
    const perRound = ctx.quick ? 8 : 10;
    const deadlineMs = (ctx.quick ? 30 : 60) * 1000;
    const got: Record<Sys, Round[]> = { ext: [], sdk: [] };
    section.raw = { got, deadlineMs, perRound };

    const values = (sys: Sys, phase: Phase, pick: (r: Round) => number[]): number[] => got[sys].filter((r) => r.phase === phase).flatMap(pick);
    const show = (v: number): string => (Number.isNaN(v) ? "–" : Number.isFinite(v) ? `${f(v / 1000, 2)} s` : `> ${deadlineMs / 1000} s`);
    const render = (): void => {
      section.rows = [];
      for (const phase of PHASES) {
        const q = (sys: Sys, p: number): number => quantileInf(values(sys, phase, (r) => r.ack), p);
        const count = (sys: Sys): string => {
          const all = values(sys, phase, (r) => r.ack);
          return all.length ? `${all.filter(Number.isFinite).length}/${all.length}` : "–";
        };
        const ratio = (p: number): string => {
          const [e, s] = [q("ext", p), q("sdk", p)];
          if (Number.isFinite(e) && !Number.isFinite(s) && !Number.isNaN(s)) return `> ${lowerIsBetter(e, deadlineMs)}`;
          return lowerIsBetter(e, s);
        };
        const label = phase === "silent" ? "silent receiver" : `chatting receiver (a message every ${CHAT_EVERY_MS} ms)`;
        section.rows.push(
          { measure: `time to acknowledgement, ${label}: p50`, ext: show(q("ext", 0.5)), sdk: show(q("sdk", 0.5)), ratio: ratio(0.5) },
          { measure: `time to acknowledgement, ${label}: p90`, ext: show(q("ext", 0.9)), sdk: show(q("sdk", 0.9)), ratio: ratio(0.9) },
          { measure: `${phase}: acknowledged within ${deadlineMs / 1000} s of the last send`, ext: count("ext"), sdk: count("sdk") },
        );
      }
      const possibly = (phase: Phase): string => {
        const v = values("sdk", phase, (r) => r.possibly);
        if (v.length === 0) return "–";
        const n = v.filter(Number.isFinite).length;
        return n === 0 ? "never" : `${n}/${v.length}, p50 ${show(quantileInf(v, 0.5))}`;
      };
      section.rows.push({
        measure: "sdk `message-possibly-acknowledged` (bloom hits), silent / chatting",
        ext: "(no such state)",
        sdk: `${possibly("silent")} / ${possibly("chatting")}`,
      });
      const chats = (sys: Sys): number => got[sys].reduce((n, r) => n + r.chatSent, 0);
      section.notes = [
        `Per round, the sending page sends ${perRound} messages ${SPACING_MS} ms apart (extension: awaiting each durable send; sdk: ` +
          "its synchronous send), then waits for every `acknowledged` event; the time runs from just before the send call to the " +
          `event in the sending page. Deadline ${deadlineMs / 1000} s after the last send; a message not acknowledged by then counts ` +
          `as later than any other in the percentiles (shown as "> ${deadlineMs / 1000} s"). ${rounds} round(s) per phase and system, ` +
          "alternating which system goes first.",
        "Silent receiver: the receiving app sends nothing, so the ack rides on what the library sends by itself — the extension " +
          "sends an SDS sync 0.5-3 s after delivering content (its `ackSyncDelay`), the sdk only on its periodic sync. Chatting " +
          `receiver: the receiving page also sends its own message every ${CHAT_EVERY_MS} ms on the same channel for the whole round ` +
          `(started before the first send, stopped after the ack wait; ${chats("ext")} / ${chats("sdk")} chat messages sent by ` +
          "ext / sdk), whose causal history acknowledges what it has received.",
        "The sdk also reports `message-possibly-acknowledged` when the message id hits the bloom filter of received messages; it " +
          "is a hint, not an ack (the extension keeps bloom hits internal and reports only `acknowledged`).",
      ];
    };

    let order = 0;
    for (const phase of PHASES) {
      for (let r = 0; r < rounds; r++) {
        for (const sys of roundOrder(order)) {
          const round = await ackRound(ctx, ctx.sides[sys], phase, r, perRound, deadlineMs);
          got[sys].push(round);
          const acked = round.ack.filter(Number.isFinite);
          ctx.log(
            `  ${sys} ack ${phase} ${r}: ${acked.length}/${round.sent} acknowledged, p50 ${show(quantileInf(round.ack, 0.5))}, ` +
              `p90 ${show(quantileInf(round.ack, 0.9))}${phase === "chatting" ? `, ${round.chatSent} chat messages` : ""}`,
          );
          render();
          await sleep(1_000);
        }
        order++;
      }
    }
    render();
  },
};

type ChatWindow = {
  __channels?: Record<string, { send(data: string): Promise<unknown> }>;
  __sdk?: { send(text: string, channelId?: string): Promise<unknown> };
  __chat?: { timer: number; sent: number };
};

/** Start the receiving page chatting: one message every CHAT_EVERY_MS on the side's channel. */
async function startChat(side: Side, prefix: string): Promise<void> {
  await side.receiver.evaluate(
    ({ sys, channel, prefix, every }) => {
      const w = window as unknown as ChatWindow;
      if (w.__chat) clearInterval(w.__chat.timer);
      const chat = { timer: 0, sent: 0 };
      chat.timer = window.setInterval(() => {
        const text = `${prefix}${chat.sent++}`;
        const sending = sys === "ext" ? w.__channels![channel]!.send(text) : w.__sdk!.send(text, channel);
        sending.catch(() => undefined);
      }, every);
      w.__chat = chat;
    },
    { sys: side.sys, channel: side.channelId, prefix, every: CHAT_EVERY_MS },
  );
}

/** Stop the chat; how many messages it sent. */
async function stopChat(side: Side): Promise<number> {
  return side.receiver
    .evaluate(() => {
      const w = window as unknown as ChatWindow;
      if (!w.__chat) return 0;
      clearInterval(w.__chat.timer);
      const sent = w.__chat.sent;
      delete w.__chat;
      return sent;
    })
    .catch(() => 0);
}

async function ackRound(ctx: BenchContext, side: Side, phase: Phase, r: number, count: number, deadlineMs: number): Promise<Round> {
  const sends: { at: number; id: string }[] = [];
  let chatSent = 0;
  if (phase === "chatting") {
    await startChat(side, `chat-${side.sys}-${r}-`);
    await sleep(2 * CHAT_EVERY_MS); // the conversation is going before the first measured send
  }
  try {
    for (let i = 0; i < count; i++) {
      const t = Date.now();
      const sent = await withDeadline(side.send(`ack-${side.sys}-${phase}-${r}-${i}`), 10_000, "send").catch((error: unknown) => {
        ctx.log(`  ${side.sys} ack send: ${String(error).split("\n")[0]}`);
        return undefined;
      });
      if (sent) sends.push(sent);
      await sleep(Math.max(0, SPACING_MS - (Date.now() - t)));
    }
    await waitEvents(
      side.sender,
      sends.map((s) => s.id),
      "acknowledged",
      deadlineMs,
    );
  } finally {
    if (phase === "chatting") chatSent = await stopChat(side);
  }
  const ids = sends.map((s) => s.id);
  const acked = await eventTimes(side.sender, ids, "acknowledged");
  const possibly = side.sys === "sdk" ? await eventTimes(side.sender, ids, "possibly-acknowledged") : {};
  const since = (times: Record<string, number>, s: { at: number; id: string }): number => {
    const at = times[s.id];
    return at === undefined ? Number.POSITIVE_INFINITY : at - s.at;
  };
  return {
    phase,
    round: r,
    sent: count,
    // A send that failed outright counts as never acknowledged.
    ack: [...sends.map((s) => since(acked, s)), ...Array<number>(count - sends.length).fill(Number.POSITIVE_INFINITY)],
    possibly: side.sys === "sdk" ? sends.map((s) => since(possibly, s)) : [],
    chatSent,
  };
}
