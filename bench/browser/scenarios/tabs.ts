/** (8) Many tabs. Placeholder while it is being written: fails loudly so the report says so. */
import type { BenchContext, Scenario } from "../harness.js";
import type { Section } from "../report.js";

export const tabsScenario: Scenario = {
  id: 8,
  title: "Many tabs",
  async run(_ctx: BenchContext, _section: Section) {
    throw new Error("not written yet");
  },
};
