// The folder layout shows the pipeline: every stage of PIPELINE_STAGES is a folder of src/core/.
// Keeps the one stage list and the tree from drifting apart.
import { existsSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PIPELINE_STAGES } from "../../src/shared/stages.js";

describe("pipeline layout", () => {
  it.each(PIPELINE_STAGES)("src/core/%s is a folder", (stage) => {
    const folder = new URL(`../../src/core/${stage}`, import.meta.url);
    expect(existsSync(folder) && statSync(folder).isDirectory()).toBe(true);
  });
});
