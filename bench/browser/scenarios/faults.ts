/** (4) Reliability under faults. Placeholder while it is being written: fails loudly so the report says so. */
import type { BenchContext, Scenario } from "../harness.js";
import type { Section } from "../report.js";

export const faultsScenario: Scenario = {
  id: 4,
  title: "Reliability under faults",
  async run(_ctx: BenchContext, _section: Section) {
    throw new Error("not written yet");
  },
};
