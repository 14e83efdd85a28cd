// The Scheduler contract against the virtual scheduler of core tests and the simulation. Its own
// file: the virtual scheduler settles promises between timers, which vitest's fake timers would freeze.
import { VirtualTime } from "../support/virtual-time.js";
import { schedulerContract } from "./scheduler.contract.js";

schedulerContract("VirtualTime scheduler (test double of core tests and the simulation)", () => {
  const time = new VirtualTime();
  return { scheduler: time.scheduler, advance: (ms) => time.advance(ms) };
});
