// The permission prompt queue's rules on a virtual clock: one window at a time, one request per
// origin (joining), the deny cooldown and its undo, and requests dropped once their pages are gone.
import { describe, expect, it } from "vitest";
import { PromptQueue, type PromptAnswer, type PromptWaiter } from "../../src/background/prompt-queue.js";
import { PROMPT_DENY_COOLDOWN_MS, PROMPT_GONE_GRACE_MS } from "../../src/shared/limits.js";
import type { BlockedSite } from "../../src/shared/worker-messages.js";
import { VirtualTime } from "../support/virtual-time.js";

/** A page that asked; `leave()` is its tab closing or navigating away (its port closes). */
class FakePage implements PromptWaiter {
  present = true;
  constructor(readonly key: string) {}
  isPresent(): boolean {
    return this.present;
  }
}

function setup() {
  const time = new VirtualTime();
  /** Windows open now, by prompt id -> origin; `opened` counts every window ever shown. */
  const open = new Map<string, string>();
  let opened = 0;
  let maxOpen = 0;
  const persisted: BlockedSite[][] = [];
  let ids = 0;
  const queue = new PromptQueue({
    clock: time.clock,
    scheduler: time.scheduler,
    cooldownMs: PROMPT_DENY_COOLDOWN_MS,
    graceMs: PROMPT_GONE_GRACE_MS,
    newId: () => `prompt-${++ids}`,
    display: {
      show: (id, origin) => {
        open.set(id, origin);
        opened += 1;
        maxOpen = Math.max(maxOpen, open.size);
      },
      hide: (id) => open.delete(id),
    },
    onBlockedChange: (blocked) => persisted.push(blocked),
  });
  const shownId = (): string => [...open.keys()][0]!;
  /** Settled answers of the given promises so far (undefined = still pending). */
  const track = (answer: Promise<PromptAnswer>): { value?: PromptAnswer } => {
    const box: { value?: PromptAnswer } = {};
    void answer.then((value) => (box.value = value));
    return box;
  };
  return { time, queue, open, shownId, track, persisted, counts: () => ({ opened, maxOpen }) };
}

const origin = (n: number): string => `http://h${n}.test`;

describe("PromptQueue", () => {
  it("shows one window at a time for the whole browser; the others wait in arrival order", async () => {
    const { time, queue, open, shownId, track, counts } = setup();
    const answers = [0, 1, 2].map((n) => track(queue.ask(origin(n), new FakePage(`p${n}`))));
    await time.settle();
    expect([...open.values()]).toEqual([origin(0)]);
    expect(queue.pending().map((p) => [p.origin, p.shown])).toEqual([
      [origin(0), true],
      [origin(1), false],
      [origin(2), false],
    ]);
    const queuedId = queue.pending()[2]!.id;
    expect(queue.decide(queuedId, "approve", true)).toBe(false); // only the window on screen can be answered
    expect(queue.decide(shownId(), "approve", false)).toBe(true);
    await time.settle();
    expect(answers[0]!.value).toEqual({ kind: "decided", decision: "approve", remember: false });
    expect([...open.values()]).toEqual([origin(1)]);
    queue.decide(shownId(), "deny", false);
    queue.decide(shownId(), "approve", true);
    await time.settle();
    expect(answers.map((a) => a.value?.kind)).toEqual(["decided", "decided", "decided"]);
    expect(open.size).toBe(0);
    expect(counts()).toEqual({ opened: 3, maxOpen: 1 });
  });

  it("keeps one request per origin: a second ask from the same origin joins the pending one, shown or queued", async () => {
    const { time, queue, shownId, track, counts } = setup();
    const first = track(queue.ask(origin(0), new FakePage("tab-1")));
    const queued = track(queue.ask(origin(1), new FakePage("tab-2")));
    const joinShown = track(queue.ask(origin(0), new FakePage("tab-3")));
    const joinQueued = track(queue.ask(origin(1), new FakePage("tab-4")));
    const sameTabTwice = track(queue.ask(origin(1), new FakePage("tab-2")));
    await time.settle();
    expect(queue.pending()).toHaveLength(2);
    queue.decide(shownId(), "approve", true);
    await time.settle();
    expect(first.value).toEqual(joinShown.value);
    expect(first.value).toMatchObject({ kind: "decided", decision: "approve" });
    queue.decide(shownId(), "deny", false);
    await time.settle();
    for (const answer of [queued, joinQueued, sameTabTwice]) expect(answer.value).toMatchObject({ kind: "decided", decision: "deny" });
    expect(counts().opened).toBe(2);
  });

  it("after a deny the origin is answered 'blocked' at once, without a window, until the cooldown ends", async () => {
    const { time, queue, shownId, counts, persisted } = setup();
    const asked = queue.ask(origin(0), new FakePage("p1"));
    await time.settle();
    queue.decide(shownId(), "deny", false);
    await asked;
    const until = time.now() + PROMPT_DENY_COOLDOWN_MS;
    expect(persisted.at(-1)).toEqual([{ origin: origin(0), until }]);

    // A reload-and-deny loop: a fresh page every 5 s for the whole cooldown opens nothing.
    for (let t = 0; t < PROMPT_DENY_COOLDOWN_MS - 5_000; t += 5_000) {
      await time.advance(5_000);
      await expect(queue.ask(origin(0), new FakePage(`reload-${t}`))).resolves.toEqual({ kind: "blocked", until });
    }
    expect(counts().opened).toBe(1);
    // Another origin is not affected.
    void queue.ask(origin(1), new FakePage("other"));
    await time.settle();
    expect(counts().opened).toBe(2);
    queue.decide(shownId(), "approve", false);

    await time.advance(PROMPT_DENY_COOLDOWN_MS);
    expect(queue.blockedOrigins()).toEqual([]);
    void queue.ask(origin(0), new FakePage("after"));
    await time.settle();
    expect(counts().opened).toBe(3);
  });

  it("closing the window unanswered is a deny (cooldown); unblock lifts the cooldown at once", async () => {
    const { time, queue, shownId, counts } = setup();
    const asked = queue.ask(origin(0), new FakePage("p1"));
    await time.settle();
    queue.dismissed(shownId());
    await expect(asked).resolves.toEqual({ kind: "decided", decision: "deny", remember: false });
    expect(queue.blockedOrigins().map((b) => b.origin)).toEqual([origin(0)]);
    expect(queue.unblock(origin(0))).toBe(true);
    expect(queue.unblock(origin(0))).toBe(false);
    void queue.ask(origin(0), new FakePage("p2"));
    await time.settle();
    expect(counts().opened).toBe(2);
  });

  it("drops a shown request once its page is gone for the grace period, closes its window, and shows the next", async () => {
    const { time, queue, open, track } = setup();
    const page = new FakePage("p0");
    const stale = track(queue.ask(origin(0), page));
    const next = track(queue.ask(origin(1), new FakePage("p1")));
    await time.settle();
    page.present = false;
    queue.pagesChanged();
    await time.advance(PROMPT_GONE_GRACE_MS - 1);
    expect(stale.value).toBeUndefined(); // a port that reconnects within the grace keeps the request
    await time.advance(1);
    expect(stale.value).toEqual({ kind: "dropped", reason: "gone" });
    expect(next.value).toBeUndefined();
    expect([...open.values()]).toEqual([origin(1)]);
    expect(queue.blockedOrigins()).toEqual([]); // leaving is not a deny
  });

  it("drops queued requests whose pages are gone without ever showing them", async () => {
    const { time, queue, shownId, counts, track } = setup();
    void queue.ask(origin(0), new FakePage("p0"));
    const gone = new FakePage("p1");
    const queued = track(queue.ask(origin(1), gone));
    await time.settle();
    gone.present = false;
    queue.pagesChanged();
    await time.advance(PROMPT_GONE_GRACE_MS);
    expect(queued.value).toEqual({ kind: "dropped", reason: "gone" });
    queue.decide(shownId(), "approve", false);
    await time.settle();
    expect(counts().opened).toBe(1);
  });

  it("keeps a request while any page that asked is present, and a page that comes back within the grace keeps it", async () => {
    const { time, queue, track } = setup();
    const tab1 = new FakePage("tab-1");
    const tab2 = new FakePage("tab-2");
    const answer = track(queue.ask(origin(0), tab1));
    void queue.ask(origin(0), tab2);
    await time.settle();
    tab1.present = false;
    queue.pagesChanged();
    await time.advance(PROMPT_GONE_GRACE_MS * 2);
    expect(answer.value).toBeUndefined();
    tab2.present = false;
    queue.pagesChanged();
    await time.advance(PROMPT_GONE_GRACE_MS / 2);
    void queue.ask(origin(0), new FakePage("tab-2-reloaded")); // the reloaded page asks again: joins
    await time.advance(PROMPT_GONE_GRACE_MS * 2);
    expect(answer.value).toBeUndefined();
    expect(queue.pending()).toHaveLength(1);
  });

  it("a stale approval approves nothing: an answer given while no asking page is present drops the request", async () => {
    const { time, queue, shownId, track, open } = setup();
    const page = new FakePage("p0");
    const answer = track(queue.ask(origin(0), page));
    await time.settle();
    const id = shownId();
    page.present = false; // the tab navigated away; the grace has not even run out
    expect(queue.decide(id, "approve", true)).toBe(false);
    await time.settle();
    expect(answer.value).toEqual({ kind: "dropped", reason: "gone" });
    expect(open.size).toBe(0);
    expect(queue.decide(id, "approve", true)).toBe(false);
  });

  it("origin hopping: 36 origins asking while the previous page leaves open one window at a time, each closed when its page leaves", async () => {
    const { time, queue, counts, open } = setup();
    let previous: FakePage | null = null;
    for (let n = 0; n < 36; n++) {
      if (previous) previous.present = false;
      queue.pagesChanged();
      previous = new FakePage(`hop-${n}`);
      void queue.ask(origin(n), previous);
      await time.advance(280);
      expect(open.size).toBeLessThanOrEqual(1);
    }
    expect(counts().maxOpen).toBe(1);
    // Only the first window and those of pages present when a window came free: far fewer than 36.
    expect(counts().opened).toBeLessThanOrEqual(Math.ceil((36 * 280) / PROMPT_GONE_GRACE_MS) + 1);
    expect(queue.pending().length).toBeLessThanOrEqual(1 + Math.ceil(PROMPT_GONE_GRACE_MS / 280));
  });

  it("restores persisted cooldowns, ignoring expired ones", async () => {
    const { time, queue } = setup();
    queue.restoreBlocked([
      { origin: origin(0), until: time.now() + 1_000 },
      { origin: origin(1), until: time.now() - 1 },
    ]);
    expect(queue.blockedOrigins().map((b) => b.origin)).toEqual([origin(0)]);
    await expect(queue.ask(origin(0), new FakePage("p"))).resolves.toMatchObject({ kind: "blocked" });
  });
});
