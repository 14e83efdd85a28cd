/**
 * Per-stage breakdown of one message's path, for both systems, from what each lets us see:
 * - extension: the workers' stage traces (`trace:set` / `trace:take`, src/background/stage-trace.ts),
 *   spans on the epoch clock of sender (alice) and receiver (bob), cut per message by its window
 *   [page send call, receiving page's event] (messages are sequential, so windows do not overlap);
 * - sdk page: marks around its Waku encoder and decoder (bench/browser/sdk-page) and its
 *   `message-sent` event: the library's inner stages (SDS, IndexedDB: none) are not visible.
 * Medians per stage go into a table in the latency section.
 */
import type { Page } from "playwright-core";
import { median } from "../lib/stats.js";
import { f } from "./report.js";

export interface StageSpan {
  stage: string;
  start: number;
  end: number;
}

export interface SdkMark {
  channelId: string;
  stage: "encode-start" | "encode-end" | "decode-start" | "decode-end";
  at: number;
}

/** One measured message: page send call and the receiving page's event (epoch ms); `sentEventAt` = sdk `message-sent`. */
export interface MessageWindow {
  sentAt: number;
  arrivedAt: number;
  sentEventAt?: number;
}

/** Per stage, one value per message where the stage was seen. */
export type StageSamples = Record<string, number[]>;

/** Turn a worker's stage trace on or off; false if the worker has none (an older build). */
export async function setWorkerTrace(admin: Page, on: boolean): Promise<boolean> {
  const answer = await admin
    .evaluate((on) => chrome.runtime.sendMessage({ kind: "trace:set", on }) as Promise<{ kind?: string } | undefined>, on)
    .catch(() => undefined);
  return answer?.kind === "trace";
}

/** The spans a worker recorded since the last take (none from a worker without a trace). */
export async function takeWorkerTrace(admin: Page): Promise<StageSpan[]> {
  const answer = await admin
    .evaluate(() => chrome.runtime.sendMessage({ kind: "trace:take" }) as Promise<{ spans?: StageSpan[] } | undefined>)
    .catch(() => undefined);
  return answer?.spans ?? [];
}

export async function takeSdkMarks(page: Page): Promise<SdkMark[]> {
  return page.evaluate(() => (window as unknown as { __sdk: { takeMarks(): SdkMark[] } }).__sdk.takeMarks());
}

const add = (samples: StageSamples, stage: string, value: number | undefined): void => {
  if (value === undefined || !Number.isFinite(value)) return;
  (samples[stage] ??= []).push(value);
};
const duration = (span: StageSpan | undefined): number | undefined => (span ? span.end - span.start : undefined);
const firstFrom = (spans: StageSpan[], stage: string, from: number, to: number): StageSpan | undefined =>
  spans.find((span) => span.stage === stage && span.start >= from && span.start <= to);
const within = (spans: StageSpan[], test: (stage: string) => boolean, from: number, to: number): StageSpan[] =>
  spans.filter((span) => test(span.stage) && span.start >= from && span.start <= to);
const sum = (spans: StageSpan[]): number => spans.reduce((total, span) => total + span.end - span.start, 0);
const isIdb = (stage: string): boolean => stage.startsWith("idb:");

/** Per IndexedDB call (`idb:<store>.<method>`) of one phase: how many in this message, and each one's time. */
function countLabels(samples: StageSamples, phase: string, spans: StageSpan[]): void {
  const counts = new Map<string, number>();
  for (const span of spans) {
    counts.set(span.stage, (counts.get(span.stage) ?? 0) + 1);
    add(samples, `ms|${phase}|${span.stage}`, span.end - span.start);
  }
  for (const [stage, count] of counts) add(samples, `n|${phase}|${stage}`, count);
}

/** Which IndexedDB calls the extension makes per message, by phase (for the notes). */
export function idbCallsNote(samples: StageSamples, messages: number): string {
  const phases: Record<string, string> = {
    send: "sender, call in → lightpush start",
    after: "sender, after the lightpush start (until arrival)",
    receive: "receiver, filter push → message posted",
  };
  const parts: string[] = [];
  for (const [phase, title] of Object.entries(phases)) {
    const calls = Object.keys(samples)
      .filter((key) => key.startsWith(`n|${phase}|`))
      .map((key) => {
        const stage = key.split("|")[2] as string;
        const perMessage = (samples[key] ?? []).reduce((a, b) => a + b, 0) / Math.max(1, messages);
        return { stage, perMessage, ms: median(samples[`ms|${phase}|${stage}`] ?? []) };
      })
      .filter((call) => call.perMessage >= 0.2)
      .sort((a, b) => b.perMessage - a.perMessage)
      .map((call) => `\`${call.stage.slice(4)}\` ${f(call.perMessage, 1)}× (${f(call.ms, 1)} ms each)`);
    parts.push(`${title}: ${calls.length > 0 ? calls.join(", ") : "none"}`);
  }
  return `IndexedDB calls per message (mean count, median time each; each is one transaction): ${parts.join("; ")}.`;
}

/** Add each message's extension stages to `samples`. */
export function extensionStages(windows: MessageWindow[], sender: StageSpan[], receiver: StageSpan[], samples: StageSamples): void {
  for (const { sentAt, arrivedAt } of windows) {
    add(samples, "total", arrivedAt - sentAt);
    const portIn = firstFrom(sender, "port-in", sentAt, arrivedAt);
    if (!portIn) continue;
    add(samples, "pageToWorker", portIn.start - sentAt);
    add(samples, "validate", duration(firstFrom(sender, "validate", portIn.start, arrivedAt)));
    add(samples, "accept", duration(firstFrom(sender, "accept", portIn.start, arrivedAt)));
    const publish = firstFrom(sender, "transport.publish", portIn.start, arrivedAt);
    const beforePublish = publish?.start ?? arrivedAt;
    const idbSend = within(sender, isIdb, portIn.start, beforePublish);
    countLabels(samples, "send", idbSend);
    add(samples, "idbSendCount", idbSend.length);
    add(samples, "idbSendMs", sum(idbSend));
    add(samples, "sdsEncode", sum(within(sender, (s) => s === "codec.encode", portIn.start, beforePublish)));
    add(samples, "seal", sum(within(sender, (s) => s === "cipher.seal", portIn.start, beforePublish)));
    if (!publish) continue;
    add(samples, "callToPublish", publish.start - portIn.start);
    add(samples, "lightpush", duration(publish));
    const idbAfter = within(sender, isIdb, publish.start, arrivedAt);
    countLabels(samples, "after", idbAfter);
    add(samples, "idbAfterPublishCount", idbAfter.length);
    const filterIn = firstFrom(receiver, "filter-in", publish.start, arrivedAt);
    if (!filterIn) continue;
    add(samples, "network", filterIn.start - publish.start);
    const portOut = firstFrom(receiver, "port-out:message", filterIn.start, arrivedAt);
    const until = portOut?.start ?? arrivedAt;
    add(samples, "open", sum(within(receiver, (s) => s === "cipher.open", filterIn.start, until)));
    add(samples, "sdsDecode", sum(within(receiver, (s) => s === "codec.decode", filterIn.start, until)));
    const idbReceive = within(receiver, isIdb, filterIn.start, until);
    countLabels(samples, "receive", idbReceive);
    add(samples, "idbReceiveCount", idbReceive.length);
    add(samples, "idbReceiveMs", sum(idbReceive));
    if (!portOut) continue;
    add(samples, "receiverWorker", portOut.start - filterIn.start);
    add(samples, "workerToPage", arrivedAt - portOut.start);
  }
}

/** Add each message's sdk stages (what is visible from outside the library) to `samples`. */
export function sdkStages(windows: MessageWindow[], channelId: string, sender: SdkMark[], receiver: SdkMark[], samples: StageSamples): void {
  const first = (marks: SdkMark[], stage: SdkMark["stage"], from: number, to: number): number | undefined =>
    marks.find((mark) => mark.channelId === channelId && mark.stage === stage && mark.at >= from && mark.at <= to)?.at;
  for (const { sentAt, arrivedAt, sentEventAt } of windows) {
    add(samples, "total", arrivedAt - sentAt);
    const encodeStart = first(sender, "encode-start", sentAt, arrivedAt);
    if (encodeStart === undefined) continue;
    const encodeEnd = first(sender, "encode-end", encodeStart, arrivedAt);
    add(samples, "sdkBeforeEncode", encodeStart - sentAt);
    if (encodeEnd === undefined) continue;
    add(samples, "sdkWakuEncode", encodeEnd - encodeStart);
    if (sentEventAt !== undefined) add(samples, "lightpush", sentEventAt - encodeEnd);
    const decodeStart = first(receiver, "decode-start", encodeEnd, arrivedAt);
    if (decodeStart === undefined) continue;
    add(samples, "network", decodeStart - encodeEnd);
    const decodeEnd = first(receiver, "decode-end", decodeStart, arrivedAt);
    if (decodeEnd === undefined) continue;
    add(samples, "sdkWakuDecode", decodeEnd - decodeStart);
    add(samples, "sdkAfterDecode", arrivedAt - decodeEnd);
  }
}

interface BreakdownRow {
  label: string;
  /** Sample key per system, or a text saying why the stage has no figure there. */
  ext: string | { text: string };
  sdk: string | { text: string };
  unit?: "ms" | "count";
}

const none = (text: string): { text: string } => ({ text });

const ROWS: BreakdownRow[] = [
  { label: "page → content script → worker (port message in)", ext: "pageToWorker", sdk: none("— (no such hop)") },
  { label: "validation of the call", ext: "validate", sdk: none("— (none)") },
  { label: "durable accept: outbox written (send call's work in the worker)", ext: "accept", sdk: none("— (memory only)") },
  { label: "IndexedDB transactions before the publish (count)", ext: "idbSendCount", sdk: none("— (no storage)"), unit: "count" },
  { label: "IndexedDB time before the publish (sum)", ext: "idbSendMs", sdk: none("—") },
  { label: "send call → Waku encode start (SDS encode and scheduling inside the library)", ext: none("(split below)"), sdk: "sdkBeforeEncode" },
  { label: "SDS encode", ext: "sdsEncode", sdk: none("(in the row above)") },
  { label: "encryption (AES-GCM seal; 0 on a plain channel)", ext: "seal", sdk: none("(in the row below)") },
  { label: "Waku encode incl. encryption (`toProtoObj`)", ext: none("(SDS encode + seal above)"), sdk: "sdkWakuEncode" },
  { label: "worker: call in → lightpush start", ext: "callToPublish", sdk: none("—") },
  { label: "lightpush round trip (ext: `publish`; sdk: encode end → `message-sent`)", ext: "lightpush", sdk: "lightpush" },
  { label: "lightpush start → receiver's filter push (ext: worker; sdk: page decoder)", ext: "network", sdk: "network" },
  { label: "decryption (AES-GCM open; 0 on a plain channel)", ext: "open", sdk: none("(in the row below)") },
  { label: "Waku decode incl. decryption (`fromProtoObj`)", ext: none("(open above)"), sdk: "sdkWakuDecode" },
  { label: "SDS decode", ext: "sdsDecode", sdk: none("(in the row below)") },
  { label: "receive-side IndexedDB transactions (count)", ext: "idbReceiveCount", sdk: none("— (no storage)"), unit: "count" },
  { label: "receive-side IndexedDB time (sum)", ext: "idbReceiveMs", sdk: none("—") },
  { label: "receiver: filter push → message posted to the page (ext: worker; sdk: decoded → event)", ext: "receiverWorker", sdk: "sdkAfterDecode" },
  { label: "worker → content script → page", ext: "workerToPage", sdk: none("— (no such hop)") },
  { label: "sender IndexedDB transactions after the publish, before arrival (count)", ext: "idbAfterPublishCount", sdk: none("—"), unit: "count" },
  { label: "**total: send call → receiving page's event**", ext: "total", sdk: "total" },
];

export interface BreakdownColumn {
  title: string;
  ext: StageSamples;
  sdk: StageSamples;
}

/** A markdown table: one row per stage, per column the extension's and the sdk's median. */
export function breakdownTable(columns: BreakdownColumn[]): string {
  const cell = (samples: StageSamples, key: string | { text: string }, unit: "ms" | "count"): string => {
    if (typeof key !== "string") return key.text;
    const values = samples[key] ?? [];
    if (values.length === 0) return "–";
    return unit === "count" ? f(median(values), 1) : `${f(median(values), 2)} ms`;
  };
  const header = ["stage", ...columns.flatMap((c) => [`ext ${c.title}`, `sdk ${c.title}`])];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of ROWS) {
    const cells = columns.flatMap((c) => [cell(c.ext, row.ext, row.unit ?? "ms"), cell(c.sdk, row.sdk, row.unit ?? "ms")]);
    lines.push(`| ${row.label} | ${cells.join(" | ")} |`);
  }
  const counts = columns.map((c) => `${c.title}: ${c.ext.total?.length ?? 0} / ${c.sdk.total?.length ?? 0}`).join("; ");
  lines.push("", `Medians per stage over the messages of the latency runs (messages ext / sdk: ${counts}).`);
  return lines.join("\n");
}
