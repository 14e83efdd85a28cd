/**
 * Store v3 service: `/vac/waku/store-query/3.0.0`.
 *
 * Guarantees:
 * - content queries (pubsub topic + content topics, optional time range in ns) and lookups by
 *   message hash, paged forward or backward exactly as the @waku/sdk store client pages (see
 *   message-store.ts); page size = paginationLimit (default 20, at most 100) and at most
 *   `storeMaxResponseBytes` of messages;
 * - `paginationCursor` is set (to the hash of the page's last message in paging direction) when
 *   more matches exist; the sdk ignores it, other clients may use it;
 * - status codes: 200, 400 (undecodable, hash lookup mixed with content filters, content topics
 *   without pubsub topic, too many hashes), 429 (per-peer rate limit), or the forced code;
 * - `drop` (fault knob) applies to archiving (see faults.ts), `delay` to answers.
 */
import type { IncomingStreamData } from "@libp2p/interface";
import { proto_store } from "@waku/proto";
import { toHex } from "../message-hash.js";
import type { MessageStore } from "../message-store.js";
import { STATUS } from "../message-validation.js";
import type { NodeContext } from "../node-context.js";
import { RateLimiter } from "../rate-limiter.js";
import { decodeRequest, readRequest, reportStreamFailure, respondAndClose, sleep } from "../stream-io.js";

export const STORE_CODEC = "/vac/waku/store-query/3.0.0";

export class StoreService {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly ctx: NodeContext,
    private readonly archive: () => MessageStore,
  ) {
    this.limiter = new RateLimiter(ctx.limits.rateLimit);
  }

  readonly handleQuery = (data: IncomingStreamData): void => {
    void this.serve(data);
  };

  private async serve({ stream, connection }: IncomingStreamData): Promise<void> {
    const peer = connection.remotePeer.toString();
    const { log, limits, counters, faults } = this.ctx;
    try {
      const frame = await readRequest(stream, { maxBytes: limits.maxRequestBytes, timeoutMs: limits.requestTimeoutMs });
      counters.storeQueries += 1;
      const undecodable = { log, counters, kind: "store-decode", peer, what: "store query" };
      const request = await decodeRequest(frame, (f) => proto_store.StoreQueryRequest.decode(f), undecodable, () =>
        respondAndClose(stream, failure("", STATUS.BAD_REQUEST, "undecodable request")),
      );
      if (request === undefined) return;
      if (!this.limiter.tryTake(peer)) {
        await respondAndClose(stream, failure(request.requestId, STATUS.TOO_MANY_REQUESTS, "too many requests"));
        return;
      }
      const knobs = faults.get("store");
      await sleep(knobs.delayMs);
      if (knobs.forceStatus !== null && knobs.forceStatus !== STATUS.OK) {
        await respondAndClose(stream, failure(request.requestId, knobs.forceStatus, `status ${knobs.forceStatus} forced by a devnet fault knob`));
        return;
      }
      await respondAndClose(stream, this.answer(request));
    } catch (err) {
      reportStreamFailure(log, counters, "store", peer, err);
    }
  }

  private answer(request: proto_store.StoreQueryRequest): Uint8Array {
    const { limits } = this.ctx;
    const isHashLookup = request.messageHashes.length > 0;
    const hasContentFilter =
      request.contentTopics.length > 0 || request.timeStart !== undefined || request.timeEnd !== undefined;
    if (isHashLookup && hasContentFilter) {
      return failure(request.requestId, STATUS.BAD_REQUEST, "message hash lookups cannot have content filter criteria");
    }
    if (request.contentTopics.length > 0 && (request.pubsubTopic === undefined || request.pubsubTopic === "")) {
      return failure(request.requestId, STATUS.BAD_REQUEST, "content topics need a pubsub topic");
    }
    if (request.messageHashes.length > limits.storeMaxHashesPerQuery) {
      return failure(request.requestId, STATUS.BAD_REQUEST, `at most ${limits.storeMaxHashesPerQuery} message hashes per query`);
    }
    const requested =
      request.paginationLimit === undefined || request.paginationLimit === 0n
        ? limits.storeDefaultPageSize
        : Number(request.paginationLimit);
    const limit = Math.max(1, Math.min(limits.storeMaxPageSize, requested));
    const page = this.archive().query({
      pubsubTopic: request.pubsubTopic === "" ? undefined : request.pubsubTopic,
      contentTopics: request.contentTopics,
      timeStart: request.timeStart,
      timeEnd: request.timeEnd,
      hashes: request.messageHashes.map(toHex),
      cursor: request.paginationCursor === undefined ? undefined : toHex(request.paginationCursor),
      forward: request.paginationForward,
      limit,
      maxBytes: limits.storeMaxResponseBytes,
    });
    const edge = request.paginationForward ? page.messages[page.messages.length - 1] : page.messages[0];
    return proto_store.StoreQueryResponse.encode({
      requestId: request.requestId,
      statusCode: STATUS.OK,
      statusDesc: "OK",
      messages: page.messages.map((m) =>
        request.includeData
          ? { messageHash: m.hash, message: m.message, pubsubTopic: m.pubsubTopic }
          : { messageHash: m.hash },
      ),
      paginationCursor: page.hasMore && edge !== undefined ? edge.hash : undefined,
    });
  }
}

function failure(requestId: string, status: number, description: string): Uint8Array {
  return proto_store.StoreQueryResponse.encode({ requestId, statusCode: status, statusDesc: description, messages: [] });
}
