import { describe, expect, it, vi } from "vitest";
import { Permissions, type PromptResult } from "../../src/background/permissions.js";
import type { PromptAnswer, PromptWaiter } from "../../src/background/prompt-queue.js";
import { PromptManager } from "../../src/background/prompts.js";
import { MemoryArea } from "./rpc-fakes.js";

const A = "http://a.test";
const sessionA1: PromptWaiter = { key: `${A}\nclient-1`, isPresent: () => true };
const sessionA2: PromptWaiter = { key: `${A}\nclient-2`, isPresent: () => true };
const decided = (result: PromptResult): PromptAnswer => ({ kind: "decided", ...result });

function setup(answers: PromptResult[] = []) {
  const local = new MemoryArea();
  const session = new MemoryArea();
  const ask = vi.fn(async (_origin: string, _page: PromptWaiter): Promise<PromptAnswer> => decided(answers.shift() ?? { decision: "deny", remember: false }));
  let now = 1_000;
  const permissions = new Permissions({ local, session, ask, now: () => now, touchIntervalMs: 100 });
  return { permissions, local, session, ask, advance: (ms: number) => (now += ms) };
}

describe("Permissions", () => {
  it("refuses calls from an origin nobody approved with 4100", async () => {
    const { permissions } = setup();
    await permissions.load();
    expect(() => permissions.requireApproved(A, sessionA1.key)).toThrow(expect.objectContaining({ name: "Unauthorized", code: 4100 }));
  });

  it("approve + remember persists the site in local storage and survives a reload of state", async () => {
    const { permissions, local, session, ask } = setup([{ decision: "approve", remember: true }]);
    await permissions.load();
    await permissions.connect(A, sessionA1);
    await permissions.flush();
    expect(ask).toHaveBeenCalledOnce();
    expect(local.data.approvedSites).toEqual({ [A]: { origin: A, approvedAt: 1_000, lastUsedAt: 1_000 } });
    const restarted = new Permissions({ local, session, ask: vi.fn() });
    await restarted.load();
    expect(restarted.isApproved(A, sessionA2.key)).toBe(true);
    expect(restarted.list()).toEqual([{ origin: A, approvedAt: 1_000, lastUsedAt: 1_000 }]);
  });

  it("approve without remember lasts for that page session only", async () => {
    const { permissions, local } = setup([{ decision: "approve", remember: false }]);
    await permissions.load();
    await permissions.connect(A, sessionA1);
    expect(permissions.isApproved(A, sessionA1.key)).toBe(true);
    expect(permissions.isApproved(A, sessionA2.key)).toBe(false);
    expect(local.data.approvedSites).toBeUndefined();
  });

  it("deny rejects with 4001 and the same page session is not prompted again; a reload is", async () => {
    const { permissions, ask } = setup([{ decision: "deny", remember: false }, { decision: "approve", remember: false }]);
    await permissions.load();
    await expect(permissions.connect(A, sessionA1)).rejects.toMatchObject({ name: "UserRejected", code: 4001 });
    await expect(permissions.connect(A, sessionA1)).rejects.toMatchObject({ code: 4001, message: expect.stringContaining("reload") });
    expect(ask).toHaveBeenCalledOnce();
    await permissions.connect(A, sessionA2); // the reloaded page is a new session
    expect(ask).toHaveBeenCalledTimes(2);
  });

  it("per-session decisions survive a worker restart (chrome.storage.session)", async () => {
    const { permissions, local, session } = setup([{ decision: "deny", remember: false }]);
    await permissions.load();
    await expect(permissions.connect(A, sessionA1)).rejects.toMatchObject({ code: 4001 });
    await permissions.flush();
    const ask = vi.fn();
    const restarted = new Permissions({ local, session, ask });
    await restarted.load();
    await expect(restarted.connect(A, sessionA1)).rejects.toMatchObject({ code: 4001 });
    expect(ask).not.toHaveBeenCalled();
  });

  it("concurrent connects from tabs of one site share one window; after the deny a reloaded page gets 4001 without one", async () => {
    const create = vi.fn(async (_options: { url: string }) => ({ id: 1 }));
    const prompts = new PromptManager({ windows: { create, remove: vi.fn(async () => undefined) }, urlFor: (id) => `x:?id=${id}`, session: new MemoryArea() });
    const permissions = new Permissions({ local: new MemoryArea(), session: new MemoryArea(), ask: (origin, page) => prompts.ask(origin, page) });
    await permissions.load();
    const first = permissions.connect(A, sessionA1);
    const second = permissions.connect(A, sessionA2);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(create).toHaveBeenCalledOnce();
    prompts.decide(new URL(create.mock.calls[0]![0].url).searchParams.get("id")!, "deny", false);
    await expect(first).rejects.toMatchObject({ code: 4001 });
    await expect(second).rejects.toMatchObject({ code: 4001 });
    const reloaded: PromptWaiter = { key: `${A}\nclient-3`, isPresent: () => true };
    await expect(permissions.connect(A, reloaded)).rejects.toMatchObject({ code: 4001, message: expect.stringContaining("declined") });
    expect(create).toHaveBeenCalledOnce();
  });

  it("revoke removes remembered and session approvals", async () => {
    const { permissions, local } = setup([{ decision: "approve", remember: true }, { decision: "approve", remember: false }]);
    await permissions.load();
    await permissions.connect(A, sessionA1);
    expect(permissions.revoke(A)).toBe(true);
    await permissions.flush();
    expect(local.data.approvedSites).toEqual({});
    expect(() => permissions.requireApproved(A, sessionA1.key)).toThrow(expect.objectContaining({ code: 4100 }));
    await permissions.connect(A, sessionA2);
    expect(permissions.revoke(A)).toBe(true);
    expect(permissions.isApproved(A, sessionA2.key)).toBe(false);
    expect(permissions.revoke(A)).toBe(false);
  });

  it("records last use, at most once per interval", async () => {
    const { permissions, advance } = setup([{ decision: "approve", remember: true }]);
    await permissions.load();
    await permissions.connect(A, sessionA1);
    advance(50);
    permissions.requireApproved(A, sessionA1.key);
    expect(permissions.list()[0]?.lastUsedAt).toBe(1_000);
    advance(100);
    permissions.requireApproved(A, sessionA1.key);
    expect(permissions.list()[0]?.lastUsedAt).toBe(1_150);
  });

  it("ignores malformed stored state instead of failing to start", async () => {
    const { local, session } = setup();
    local.data.approvedSites = { x: "garbage", y: { origin: A, approvedAt: 5 } };
    session.data.sessionDecisions = [["k", "approved"], ["k2", "root"], "junk"];
    const permissions = new Permissions({ local, session, ask: vi.fn() });
    await permissions.load();
    expect(permissions.list()).toEqual([{ origin: A, approvedAt: 5, lastUsedAt: null }]);
    expect(permissions.isApproved("http://k.test", "k")).toBe(true);
    expect(permissions.isApproved("http://k.test", "k2")).toBe(false);
  });
});

describe("PromptManager (the chrome.windows glue of PromptQueue)", () => {
  function manager() {
    let nextWindow = 7;
    const create = vi.fn(async (_options: { url: string }) => ({ id: nextWindow++ }));
    const remove = vi.fn(async (_windowId: number) => undefined);
    const session = new MemoryArea();
    const prompts = new PromptManager({
      windows: { create, remove },
      urlFor: (id) => `chrome-extension://x/src/prompt/index.html?id=${id}`,
      session,
      graceMs: 0,
    });
    return { prompts, create, remove, session };
  }
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
  const idOf = (url: string): string => new URL(url).searchParams.get("id")!;

  it("opens a popup window per question and resolves with the user's answer", async () => {
    const { prompts, create } = manager();
    const answer = prompts.ask(A, sessionA1);
    await tick();
    const url = new URL(create.mock.calls[0]![0].url);
    const id = idOf(url.href);
    expect(url.search).not.toContain("a.test"); // the URL carries no authority, only an id
    expect(prompts.originOf(id)).toBe(A);
    expect(prompts.decide(id, "approve", true)).toBe(true);
    await expect(answer).resolves.toEqual({ kind: "decided", decision: "approve", remember: true });
    expect(prompts.decide(id, "deny", false)).toBe(false);
    expect(prompts.originOf(id)).toBeUndefined();
  });

  it("treats closing the window as a deny, and the cooldown survives a worker restart", async () => {
    const { prompts, session } = manager();
    const answer = prompts.ask(A, sessionA1);
    await tick();
    prompts.windowClosed(99); // some other window
    prompts.windowClosed(7);
    await expect(answer).resolves.toEqual({ kind: "decided", decision: "deny", remember: false });
    await prompts.flush();
    const restarted = new PromptManager({ windows: { create: vi.fn(), remove: vi.fn() }, urlFor: String, session });
    await restarted.load();
    expect(restarted.blocked().map((site) => site.origin)).toEqual([A]);
    await expect(restarted.ask(A, sessionA2)).resolves.toMatchObject({ kind: "blocked" });
  });

  it("closes the window of a request whose page left, and does not count that as a deny", async () => {
    const { prompts, create, remove } = manager();
    let present = true;
    const answer = prompts.ask(A, { key: "k", isPresent: () => present });
    await tick();
    const id = idOf(create.mock.calls[0]![0].url);
    present = false;
    prompts.pagesChanged();
    await tick();
    await expect(answer).resolves.toEqual({ kind: "dropped", reason: "gone" });
    expect(remove).toHaveBeenCalledWith(7);
    prompts.windowClosed(7); // the browser reports our own close: not a deny
    expect(prompts.blocked()).toEqual([]);
    expect(prompts.decide(id, "approve", true)).toBe(false);
  });

  it("a window that cannot be opened fails the request instead of leaving it pending", async () => {
    const { prompts, create } = manager();
    create.mockRejectedValueOnce(new Error("no windows here"));
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(prompts.ask(A, sessionA1)).resolves.toEqual({ kind: "dropped", reason: "failed" });
    expect(prompts.blocked()).toEqual([]);
  });
});
