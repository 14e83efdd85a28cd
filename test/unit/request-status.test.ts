import { describe, expect, it } from "vitest";
import { aggregateRequestStatus, type PartState } from "../../src/core/channel/request-status.js";
import { describeProgress, progressFraction } from "../../src/shared/stages.js";

const part = (stage: PartState["stage"], ackedBy?: string[]): PartState => ({ stage, ...(ackedBy ? { ackedBy } : {}) });

describe("aggregateRequestStatus", () => {
  it("follows a single-message request through every stage", () => {
    expect(aggregateRequestStatus("r", [part("queued")], 1).state).toBe("queued");
    expect(aggregateRequestStatus("r", [part("propagated")], 1).state).toBe("propagated");
    expect(aggregateRequestStatus("r", [part("stored")], 1).state).toBe("stored");
    expect(aggregateRequestStatus("r", [part("acknowledged", ["bob"])], 1)).toEqual({
      state: "acknowledged",
      requestId: "r",
      parts: 1,
      ackedBy: ["bob"],
    });
  });

  it("needs only `needed` parts of a segmented request, so lost parity does not hold it back", () => {
    const parts = [part("stored"), part("stored"), part("queued"), part("failed")];
    expect(aggregateRequestStatus("r", parts, 2).state).toBe("stored");
    expect(aggregateRequestStatus("r", parts, 3).state).toBe("queued");
  });

  it("fails only when too few parts are left to rebuild the payload", () => {
    const failed = (reason: string): PartState => ({ stage: "failed", failureReason: reason });
    expect(aggregateRequestStatus("r", [part("stored"), failed("ttl")], 1).state).toBe("stored");
    expect(aggregateRequestStatus("r", [part("stored"), failed("ttl"), failed("ttl")], 2)).toMatchObject({
      state: "failed",
      reason: "ttl",
    });
    expect(aggregateRequestStatus("r", [], 1).state).toBe("failed");
  });

  it("counts a participant as acknowledging only if they acked enough parts", () => {
    const parts = [part("acknowledged", ["bob", "carol"]), part("acknowledged", ["bob"]), part("stored")];
    expect(aggregateRequestStatus("r", parts, 2)).toMatchObject({ state: "acknowledged", ackedBy: ["bob"] });
  });

  it("a segmented request carries its parts' progress (a part counts for every stage up to its own); a single message none", () => {
    const parts = [part("acknowledged", ["bob"]), part("stored"), part("propagated"), part("queued"), part("failed")];
    expect(aggregateRequestStatus("r", parts, 3)).toMatchObject({
      state: "propagated",
      progress: { parts: 5, needed: 3, propagated: 3, stored: 2, acknowledged: 1, failed: 1 },
    });
    expect(aggregateRequestStatus("r", [part("stored")], 1)).not.toHaveProperty("progress");
    expect(progressFraction({ parts: 5, needed: 3, propagated: 3, stored: 2, acknowledged: 1, failed: 1 })).toBeCloseTo((1 + 2 / 3 + 1 / 3) / 3);
    expect(progressFraction({ parts: 5, needed: 3, propagated: 5, stored: 5, acknowledged: 4, failed: 0 })).toBe(1);
    expect(describeProgress({ parts: 5, needed: 3, propagated: 3, stored: 2, acknowledged: 1, failed: 1 })).toBe("segments sent 3/5, stored 2, acknowledged 1, failed 1");
  });

  it("says which paths took the request's parts onto the network (relay first), once one did", () => {
    expect(aggregateRequestStatus("r", [part("queued")], 1)).not.toHaveProperty("via");
    expect(aggregateRequestStatus("r", [{ stage: "stored", method: "relay" }], 1)).toEqual({ state: "stored", requestId: "r", parts: 1, via: ["relay"] });
    const mixed: PartState[] = [{ stage: "propagated", method: "lightpush" }, { stage: "stored", method: "relay" }, part("queued")];
    expect(aggregateRequestStatus("r", mixed, 2).via).toEqual(["relay", "lightpush"]);
  });
});
