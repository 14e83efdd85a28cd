import { describe, expect, it } from "vitest";
import { aggregateRequestStatus, type PartState } from "../../src/core/channel/request-status.js";

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
});
