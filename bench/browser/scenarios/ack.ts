/** (3) Time to acknowledgement. Placeholder while it is being written: fails loudly so the report says so. */
import type { BenchContext, Scenario } from "../harness.js";
import type { Section } from "../report.js";

export const ackScenario: Scenario = {
  id: 3,
  title: "Time to acknowledgement",
  async run(_ctx: BenchContext, _section: Section) {
    throw new Error("not written yet");
  },
};
