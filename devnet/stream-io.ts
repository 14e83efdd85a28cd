/**
 * Request/response framing on libp2p streams, hardened for hostile peers.
 *
 * Every Waku request/response protocol here is: the client writes one varint-length-prefixed
 * protobuf, the server writes one back and closes the stream. Guarantees of `readRequest`:
 * - resolves with exactly one frame, or rejects with a `RequestReadError` saying why;
 * - never waits longer than `timeoutMs` (an opened-and-abandoned stream is aborted);
 * - never buffers more than `maxBytes` of one frame (an oversized frame aborts the stream).
 * `respondAndClose` writes one frame and closes; `endWithoutResponse` closes without writing
 * (what a dropping or overloaded server looks like to the client). `decodeRequest` turns an
 * undecodable frame into one counted, logged rejection.
 */
import type { Stream } from "@libp2p/interface";
import * as lp from "it-length-prefixed";
import type { Uint8ArrayList } from "uint8arraylist";
import { describeError } from "./log.js";

export type RequestReadFailure = "timeout" | "too-large" | "ended" | "malformed-frame" | "stream-error";

export class RequestReadError extends Error {
  override readonly name = "RequestReadError";
  constructor(
    readonly kind: RequestReadFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export async function readRequest(stream: Stream, limits: ReadLimits): Promise<Uint8ArrayList> {
  const frames = lp.decode(stream.source, { maxDataLength: limits.maxBytes })[Symbol.asyncIterator]();
  const next = frames.next();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), limits.timeoutMs);
  });
  try {
    const result = await Promise.race([next, timedOut]);
    if (result === "timeout") {
      // The pending read rejects once the stream is aborted; that outcome is already decided here.
      next.then(undefined, (lateErr: unknown) => void lateErr);
      stream.abort(new RequestReadError("timeout", "no request before the timeout"));
      throw new RequestReadError("timeout", `no request within ${limits.timeoutMs} ms`);
    }
    if (result.done === true) {
      await stream.close();
      throw new RequestReadError("ended", "stream ended before a request");
    }
    return result.value;
  } catch (err) {
    if (err instanceof RequestReadError) throw err;
    const failure = classifyReadError(err);
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw new RequestReadError(failure, err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

function classifyReadError(err: unknown): RequestReadFailure {
  const name = err instanceof Error ? err.name : "";
  switch (name) {
    case "InvalidDataLengthError":
    case "InvalidDataLengthLengthError":
      return "too-large";
    case "InvalidMessageLengthError":
    case "UnexpectedEOFError":
      return "malformed-frame";
    default:
      return "stream-error";
  }
}

/** Writes one length-prefixed frame, then closes the stream gracefully. */
export async function respondAndClose(stream: Stream, frame: Uint8Array): Promise<void> {
  await stream.sink([lp.encode.single(frame)]);
  await stream.close();
}

/** Closes the stream without a response: the client sees an empty reply. */
export async function endWithoutResponse(stream: Stream): Promise<void> {
  await stream.close();
}

/** Who is told about an undecodable request: `kind` names the log line, `what` the request. */
export interface UndecodableReport {
  log: { warn(kind: string, text: string): void };
  counters: { badRequests: number };
  kind: string;
  peer: string;
  what: string;
}

/**
 * Decodes a request frame. An undecodable one counts as a bad request, is logged as
 * `peer <peer>: undecodable <what>: <error>` and gets `reject` (an answer, or just a close);
 * the result is then undefined.
 */
export async function decodeRequest<T>(frame: Uint8ArrayList, decode: (frame: Uint8ArrayList) => T, report: UndecodableReport, reject: () => Promise<void>): Promise<T | undefined> {
  try {
    return decode(frame);
  } catch (err) {
    report.counters.badRequests += 1;
    report.log.warn(report.kind, `peer ${report.peer}: undecodable ${report.what}: ${describeError(err)}`);
    await reject();
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Logs why serving a stream failed. Idle streams are normal: @waku/sdk opens one stream per
 * protocol ahead of use, keeps it idle, and closes it on stop. So a stream closed unused is
 * logged at debug, and one aborted for idling past the timeout is counted (`abandonedStreams`)
 * and logged at debug. Anything else (garbage, oversized or truncated frames, resets) is one
 * rate-limited warning per burst and counts as a bad request.
 */
export function reportStreamFailure(
  log: { warn(kind: string, text: string): void; debug(text: string): void },
  counters: { badRequests: number; abandonedStreams: number },
  protocol: string,
  peer: string,
  err: unknown,
): void {
  if (err instanceof RequestReadError) {
    switch (err.kind) {
      case "ended":
        log.debug(`${protocol}: peer ${peer} closed an unused stream`);
        return;
      case "timeout":
        counters.abandonedStreams += 1;
        log.debug(`${protocol}: aborted an idle stream of peer ${peer}: ${err.message}`);
        return;
      case "too-large":
      case "malformed-frame":
      case "stream-error":
        break;
      default:
        err.kind satisfies never;
    }
    counters.badRequests += 1;
    log.warn(`${protocol}-${err.kind}`, `peer ${peer}: ${err.message}`);
    return;
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log.warn(`${protocol}-stream`, `peer ${peer}: ${text}`);
}
