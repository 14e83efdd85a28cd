/** (6) Recovery after a worker stop. Placeholder while it is being written: fails loudly so the report says so. */
import type { BenchContext, Scenario } from "../harness.js";
import type { Section } from "../report.js";

export const recoveryScenario: Scenario = {
  id: 6,
  title: "Recovery after a worker stop",
  async run(_ctx: BenchContext, _section: Section) {
    throw new Error("not written yet");
  },
};
