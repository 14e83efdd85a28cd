/**
 * Lightpush service: v3 `/vac/waku/lightpush/3.0.0` and v2 `/vac/waku/lightpush/2.0.0-beta1`.
 *
 * One request per stream: read one frame, answer one frame, close (as @waku/core expects: it reads
 * until the stream ends). Guarantees:
 * - every well-framed request gets a status: 200, 400 (undecodable / no message), 413, 420, 421,
 *   429 (per-peer rate limit), 503 (no relay peers, only with `requireRelayPeers`), or the code
 *   forced by the `forceStatus` fault knob; v2 carries the same outcome as isSuccess + info;
 * - a dropped request (fault knob) is consumed and the stream closed with no answer;
 * - malformed frames, oversized frames and abandoned streams are aborted and logged once per
 *   burst, never thrown out of the handler;
 * - a duplicate of an accepted message (client retry) is answered 200 but delivered only once.
 */
import type { IncomingStreamData } from "@libp2p/interface";
import { proto_lightpush } from "@waku/proto";
import { describeError } from "../log.js";
import type { WakuMessage } from "../message-store.js";
import { STATUS, validateMessage } from "../message-validation.js";
import type { NodeContext } from "../node-context.js";
import { RateLimiter } from "../rate-limiter.js";
import { endWithoutResponse, readRequest, reportStreamFailure, respondAndClose, sleep } from "../stream-io.js";

export const LIGHTPUSH_V3_CODEC = "/vac/waku/lightpush/3.0.0";
export const LIGHTPUSH_V2_CODEC = "/vac/waku/lightpush/2.0.0-beta1";

type Decision = { readonly kind: "drop" } | { readonly kind: "answer"; readonly status: number; readonly description: string; readonly relayPeers: number };

export class LightpushService {
  private readonly limiter: RateLimiter;

  constructor(private readonly ctx: NodeContext) {
    this.limiter = new RateLimiter(ctx.limits.rateLimit);
  }

  readonly handleV3 = (data: IncomingStreamData): void => {
    void this.serve(data, "v3");
  };

  readonly handleV2 = (data: IncomingStreamData): void => {
    void this.serve(data, "v2");
  };

  private async serve({ stream, connection }: IncomingStreamData, version: "v2" | "v3"): Promise<void> {
    const peer = connection.remotePeer.toString();
    const { log, limits, counters } = this.ctx;
    try {
      const frame = await readRequest(stream, { maxBytes: limits.maxRequestBytes, timeoutMs: limits.requestTimeoutMs });
      counters.lightpushRequests += 1;
      let requestId = "";
      let pubsubTopic: string | undefined;
      let message: WakuMessage | undefined;
      let decodeFailure: string | undefined;
      try {
        if (version === "v3") {
          const request = proto_lightpush.LightPushRequestV3.decode(frame);
          ({ requestId, pubsubTopic, message } = request);
        } else {
          const rpc = proto_lightpush.PushRpc.decode(frame);
          requestId = rpc.requestId;
          pubsubTopic = rpc.request?.pubsubTopic;
          message = rpc.request?.message;
          if (rpc.request === undefined) decodeFailure = "missing request";
        }
      } catch (err) {
        decodeFailure = `undecodable request: ${describeError(err)}`;
      }
      if (decodeFailure !== undefined) {
        counters.badRequests += 1;
        log.warn(`lightpush-${version}-decode`, `peer ${peer}: ${decodeFailure}`);
      }
      const decision =
        decodeFailure !== undefined
          ? this.reject(peer, STATUS.BAD_REQUEST, decodeFailure)
          : await this.decide(peer, pubsubTopic, message);
      switch (decision.kind) {
        case "drop":
          counters.lightpushDropped += 1;
          await endWithoutResponse(stream);
          return;
        case "answer":
          await respondAndClose(stream, encodeResponse(version, requestId, decision));
          return;
        default:
          decision satisfies never;
      }
    } catch (err) {
      reportStreamFailure(log, counters, "lightpush", peer, err);
    }
  }

  private async decide(peer: string, pubsubTopic: string | undefined, message: WakuMessage | undefined): Promise<Decision> {
    const { faults, counters } = this.ctx;
    if (!this.limiter.tryTake(peer)) return this.reject(peer, STATUS.TOO_MANY_REQUESTS, "too many requests");
    const knobs = faults.get("lightpush");
    await sleep(knobs.delayMs);
    if (faults.shouldDrop("lightpush")) return { kind: "drop" };
    if (knobs.forceStatus !== null && knobs.forceStatus !== STATUS.OK) {
      return this.reject(peer, knobs.forceStatus, `status ${knobs.forceStatus} forced by a devnet fault knob`);
    }
    if (message === undefined) return this.reject(peer, STATUS.BAD_REQUEST, "request has no message");
    const verdict = validateMessage(this.ctx.shards, this.ctx.limits, pubsubTopic, message);
    if (!verdict.ok) return this.reject(peer, verdict.status, verdict.description);
    if (this.ctx.requireRelayPeers && this.ctx.relayPeerCount(verdict.pubsubTopic) === 0) {
      return this.reject(peer, STATUS.SERVICE_UNAVAILABLE, "no peers to relay the message to");
    }
    const outcome = await this.ctx.accept(verdict.pubsubTopic, message, verdict.encoded, "lightpush");
    counters.lightpushAccepted += 1;
    return { kind: "answer", status: STATUS.OK, description: "OK", relayPeers: outcome.relayPeers };
  }

  private reject(peer: string, status: number, description: string): Decision {
    this.ctx.counters.lightpushRejected += 1;
    this.ctx.log.debug(`lightpush from ${peer} rejected ${status}: ${description}`);
    return { kind: "answer", status, description, relayPeers: 0 };
  }
}

function encodeResponse(
  version: "v2" | "v3",
  requestId: string,
  decision: { readonly status: number; readonly description: string; readonly relayPeers: number },
): Uint8Array {
  switch (version) {
    case "v3":
      return proto_lightpush.LightPushResponseV3.encode({
        requestId,
        statusCode: decision.status,
        statusDesc: decision.description,
        relayPeerCount: decision.relayPeers,
      });
    case "v2":
      return proto_lightpush.PushRpc.encode({
        requestId,
        response: {
          isSuccess: decision.status === STATUS.OK,
          info: decision.status === STATUS.OK ? "OK" : `${decision.status}: ${decision.description}`,
        },
      });
    default:
      return version satisfies never;
  }
}
