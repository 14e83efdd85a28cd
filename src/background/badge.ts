// Toolbar badge: Waku messages still waiting for the network, cleared at 0.
// Each worker instance sets it afresh; a failed update is retried on the next tick.

/** How often the worker refreshes the badge (a plain timer: it does not keep the worker alive). */
export const BADGE_EVERY_MS = 1_000;

export class ToolbarBadge {
  /** What this worker instance last set on the toolbar badge. */
  private badgeText: string | undefined;

  /** `pendingDeliveries` is undefined while the manager has not started. */
  constructor(private readonly pendingDeliveries: () => number | undefined) {}

  update(): void {
    const pending = this.pendingDeliveries();
    if (pending === undefined) return; // not started: keep what the last instance showed
    const text = pending === 0 ? "" : pending > 999 ? "999+" : String(pending);
    if (text === this.badgeText) return;
    this.badgeText = text;
    const title = pending === 0 ? "Reliable Channel" : `Reliable Channel: ${pending} message${pending === 1 ? "" : "s"} waiting for the network`;
    Promise.all([
      chrome.action.setBadgeText({ text }),
      chrome.action.setBadgeBackgroundColor({ color: "#3367d6" }),
      chrome.action.setTitle({ title }),
    ]).catch((error: unknown) => {
      this.badgeText = undefined; // try again on the next tick
      console.warn("[worker] badge update failed", error);
    });
  }
}
