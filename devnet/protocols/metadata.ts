/**
 * Metadata service: `/vac/waku/metadata/1.0.0`.
 *
 * Guarantees:
 * - a request is answered with this node's cluster and every shard it serves (the client stores
 *   them and uses the node only for those shards: an incomplete list means "No peer available");
 * - like nwaku, the node also asks every newly connected peer (the client's metadata handler
 *   answers with its cluster), so clients learn the node's shards without waiting for peers;
 * - a peer that reports a different cluster (in its request or its answer) is hung up on, as
 *   production nodes do; peers that do not speak metadata (raw libp2p peers) are left alone.
 */
import type { Connection, IncomingStreamData, Libp2p } from "@libp2p/interface";
import { proto_metadata } from "@waku/proto";
import * as lp from "it-length-prefixed";
import { describeError } from "../log.js";
import type { NodeContext } from "../node-context.js";
import { decodeRequest, readRequest, reportStreamFailure, respondAndClose } from "../stream-io.js";

export const METADATA_CODEC = "/vac/waku/metadata/1.0.0";

const QUERY_TIMEOUT_MS = 5_000;
const MAX_METADATA_BYTES = 64 * 1024;

export class MetadataService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly libp2p: Libp2p,
  ) {}

  private ownInfo(): Uint8Array {
    return proto_metadata.WakuMetadataResponse.encode({
      clusterId: this.ctx.shards.clusterId,
      shards: [...this.ctx.shards.shards],
    });
  }

  readonly handleRequest = (data: IncomingStreamData): void => {
    void this.serve(data);
  };

  private async serve({ stream, connection }: IncomingStreamData): Promise<void> {
    const peer = connection.remotePeer.toString();
    try {
      const frame = await readRequest(stream, { maxBytes: MAX_METADATA_BYTES, timeoutMs: this.ctx.limits.requestTimeoutMs });
      const undecodable = { log: this.ctx.log, counters: this.ctx.counters, kind: "metadata-decode", peer, what: "metadata request" };
      const request = await decodeRequest(frame, (f) => proto_metadata.WakuMetadataRequest.decode(f), undecodable, () => stream.close());
      if (request === undefined) return;
      await respondAndClose(stream, this.ownInfo());
      this.hangUpOnWrongCluster(connection, request.clusterId);
    } catch (err) {
      reportStreamFailure(this.ctx.log, this.ctx.counters, "metadata", peer, err);
    }
  }

  /** Asks a newly connected peer for its cluster (nwaku does the same on every connection). */
  async queryPeer(connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    let stream;
    try {
      stream = await connection.newStream(METADATA_CODEC, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    } catch (err) {
      this.ctx.log.debug(`peer ${peer} does not answer metadata: ${describeError(err)}`);
      return;
    }
    try {
      const request = proto_metadata.WakuMetadataRequest.encode({
        clusterId: this.ctx.shards.clusterId,
        shards: [...this.ctx.shards.shards],
      });
      await stream.sink([lp.encode.single(request)]);
      const frame = await readRequest(stream, { maxBytes: MAX_METADATA_BYTES, timeoutMs: QUERY_TIMEOUT_MS });
      const response = proto_metadata.WakuMetadataResponse.decode(frame);
      await stream.close();
      this.hangUpOnWrongCluster(connection, response.clusterId);
    } catch (err) {
      this.ctx.log.debug(`metadata query to ${peer} failed: ${describeError(err)}`);
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private hangUpOnWrongCluster(connection: Connection, clusterId: number | undefined): void {
    if (clusterId === undefined || clusterId === this.ctx.shards.clusterId) return;
    const peer = connection.remotePeer.toString();
    this.ctx.log.warn("metadata-cluster", `peer ${peer} is on cluster ${clusterId}, not ${this.ctx.shards.clusterId}: hanging up`);
    void this.libp2p.hangUp(connection.remotePeer).catch((err: unknown) => {
      this.ctx.log.debug(`hang up on ${peer} failed: ${describeError(err)}`);
    });
  }
}
