/** (5) Cost. Placeholder while it is being written: fails loudly so the report says so. */
import type { BenchContext, Scenario } from "../harness.js";
import type { Section } from "../report.js";

export const costScenario: Scenario = {
  id: 5,
  title: "Cost",
  async run(_ctx: BenchContext, _section: Section) {
    throw new Error("not written yet");
  },
};
