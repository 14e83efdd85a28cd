/**
 * What a browser costs the machine: the JS heaps of its pages and service workers (through CDP),
 * and, read from Linux /proc, the proportional set size (PSS) of a Chromium's whole process tree
 * and its TCP connections to given ports.
 *
 * PSS (from /proc/<pid>/smaps_rollup) splits every shared page among the processes that map it,
 * so summing it over a process tree counts each page of the browser once, unlike RSS. A browser
 * is found through its profile directory (Playwright passes `--user-data-dir=<dir>`): its main
 * process is the one with that argument and no `--type=`; renderers, the network service, zygotes
 * etc. are its descendants.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import type { ExtensionBrowser } from "../../test/e2e/browser.js";
import { withDeadline } from "./harness.js";

const CDP_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// JS heaps through CDP
// ---------------------------------------------------------------------------------------------

export interface HeapProbe {
  /** Collect garbage (twice: weak references need a second pass), then the used JS heap in bytes. */
  heap(): Promise<number>;
  close(): Promise<void>;
}

interface TargetSession {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A CDP session on any target of the browser behind `context` (a service worker, a page), through
 * a browser-level session. Not flattened: Playwright's CDPSession cannot address a child session,
 * so commands travel inside `Target.sendMessageToTarget` and replies come back as events.
 */
async function attach(browserSession: CDPSession, targetId: string): Promise<TargetSession> {
  const { sessionId } = await browserSession.send("Target.attachToTarget", { targetId, flatten: false });
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const onMessage = (event: { sessionId: string; message: string }): void => {
    if (event.sessionId !== sessionId) return;
    const reply = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
    if (!waiter || reply.id === undefined) return;
    pending.delete(reply.id);
    if (reply.error) waiter.reject(new Error(reply.error.message));
    else waiter.resolve(reply.result);
  };
  browserSession.on("Target.receivedMessageFromTarget", onMessage);
  return {
    call(method, params = {}) {
      const id = ++next;
      const answer = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      void browserSession.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => undefined);
      return withDeadline(answer, CDP_MS, method);
    },
    async close() {
      browserSession.off("Target.receivedMessageFromTarget", onMessage);
      await browserSession.send("Target.detachFromTarget", { sessionId }).catch(() => undefined);
    },
  };
}

async function browserSession(context: BrowserContext): Promise<CDPSession> {
  const browser = context.browser();
  if (!browser) throw new Error("no browser handle for this context");
  return browser.newBrowserCDPSession();
}

async function gcAndRead(call: TargetSession["call"]): Promise<number> {
  await call("HeapProfiler.collectGarbage");
  await call("HeapProfiler.collectGarbage");
  return ((await call("Runtime.getHeapUsage")) as { usedSize: number }).usedSize;
}

/** The extension's service worker (the one running now). */
export async function workerProbe(profile: ExtensionBrowser): Promise<HeapProbe> {
  const session = await browserSession(profile.context);
  const { targetInfos } = await session.send("Target.getTargets");
  const target = targetInfos.find((t) => t.type === "service_worker" && t.url.startsWith(`chrome-extension://${profile.extensionId}/`));
  if (!target) {
    await session.detach();
    throw new Error("the extension's service worker is not running");
  }
  const worker = await attach(session, target.targetId);
  return {
    heap: () => gcAndRead(worker.call),
    async close() {
      await worker.close();
      await session.detach().catch(() => undefined);
    },
  };
}

/** The running worker's GC'd heap in bytes, or undefined when it is not running at that moment. */
export async function workerHeapBytes(profile: ExtensionBrowser): Promise<number | undefined> {
  const probe = await workerProbe(profile).catch(() => undefined);
  if (!probe) return undefined;
  try {
    return await probe.heap();
  } catch {
    return undefined; // stopped meanwhile
  } finally {
    await probe.close();
  }
}

export async function pageProbe(page: Page): Promise<HeapProbe> {
  const session = await page.context().newCDPSession(page);
  return {
    async heap() {
      await withDeadline(session.send("HeapProfiler.collectGarbage"), CDP_MS, "page GC");
      await withDeadline(session.send("HeapProfiler.collectGarbage"), CDP_MS, "page GC");
      return (await withDeadline(session.send("Runtime.getHeapUsage"), CDP_MS, "page heap")).usedSize;
    },
    close: () => session.detach().catch(() => undefined),
  };
}

/**
 * Garbage-collect every page and service worker of the browser behind `context` (before a PSS
 * reading, so it counts live memory rather than garbage that happens to be uncollected).
 * Returns how many targets were collected.
 */
export async function collectGarbageEverywhere(context: BrowserContext): Promise<number> {
  const session = await browserSession(context);
  let collected = 0;
  try {
    const { targetInfos } = await session.send("Target.getTargets");
    for (const target of targetInfos.filter((t) => t.type === "page" || t.type === "service_worker")) {
      const t = await attach(session, target.targetId).catch(() => undefined);
      if (!t) continue;
      try {
        await t.call("HeapProfiler.collectGarbage");
        collected++;
      } catch {
        // the target went away meanwhile
      } finally {
        await t.close();
      }
    }
  } finally {
    await session.detach().catch(() => undefined);
  }
  return collected;
}

// ---------------------------------------------------------------------------------------------
// Process tree: PSS and connections
// ---------------------------------------------------------------------------------------------

function pids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process ended meanwhile, or is not ours
  }
}

/** The main process of the Chromium running on `profileDir`, or undefined. */
export function browserMainPid(profileDir: string): number | undefined {
  const flag = `--user-data-dir=${profileDir}`;
  for (const pid of pids()) {
    const args = read(`/proc/${pid}/cmdline`)?.split("\0");
    if (args?.includes(flag) && !args.some((a) => a.startsWith("--type="))) return pid;
  }
  return undefined;
}

/** `root` and all its descendants (from the parent pids in /proc/<pid>/stat). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so parse after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Sum of `Pss:` over `pids`, in KiB (processes that ended meanwhile count 0). */
export function pssKiB(pidList: readonly number[]): number {
  let total = 0;
  for (const pid of pidList) {
    const match = read(`/proc/${pid}/smaps_rollup`)?.match(/^Pss:\s+(\d+) kB/m);
    if (match) total += Number(match[1]);
  }
  return total;
}

/** A Chromium process's role from its command line: "browser", "renderer", "renderer (extension)", "utility (network)", ... */
function processKind(pid: number): string {
  // Chromium retitles its child processes: their cmdline is one space-separated string.
  const args = read(`/proc/${pid}/cmdline`)?.split(/[\0 ]/) ?? [];
  const type = args.find((a) => a.startsWith("--type="))?.slice("--type=".length);
  if (type === undefined) return "browser";
  if (type === "renderer" && args.includes("--extension-process")) return "renderer (extension)";
  const sub = args.find((a) => a.startsWith("--utility-sub-type="))?.split(".")[0]?.slice("--utility-sub-type=".length);
  return sub ? `${type} (${sub})` : type;
}

export interface TreeMemory {
  pids: number;
  pssKiB: number;
  /** PSS (KiB) by process kind (see processKind). */
  byKind: Record<string, number>;
}

/** PSS of the whole tree of the browser on `profileDir`, or undefined when it is not found. */
export function browserMemory(profileDir: string): TreeMemory | undefined {
  const root = browserMainPid(profileDir);
  if (root === undefined) return undefined;
  const tree = processTree(root);
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const pid of tree) {
    const pss = pssKiB([pid]);
    const kind = processKind(pid);
    byKind[kind] = (byKind[kind] ?? 0) + pss;
    total += pss;
  }
  return { pids: tree.length, pssKiB: total, byKind };
}

/** Socket inodes open in `pidList` (from the `socket:[inode]` links in /proc/<pid>/fd). */
function socketInodes(pidList: readonly number[]): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pidList) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  return inodes;
}

export interface Connection {
  localPort: number;
  remotePort: number;
}

/**
 * Established TCP connections held by `pidList` whose remote port is one of `ports` (from
 * /proc/net/tcp and tcp6, matched to the processes' socket inodes).
 */
export function tcpConnections(pidList: readonly number[], ports: readonly number[]): Connection[] {
  const inodes = socketInodes(pidList);
  const wanted = new Set(ports);
  const out: Connection[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (read(table) ?? "").split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "01") continue; // 01 = ESTABLISHED
      const localPort = parseInt(cols[1]!.split(":")[1]!, 16);
      const remotePort = parseInt(cols[2]!.split(":")[1]!, 16);
      if (wanted.has(remotePort) && inodes.has(cols[9]!)) out.push({ localPort, remotePort });
    }
  }
  return out;
}

/** Established connections from the browser on `profileDir` to `ports` (undefined: browser not found). */
export function browserConnections(profileDir: string, ports: readonly number[]): Connection[] | undefined {
  const root = browserMainPid(profileDir);
  return root === undefined ? undefined : tcpConnections(processTree(root), ports);
}

/**
 * Resident set (VmRSS, KiB) of the extension's own renderer processes (`--extension-process`: the
 * one hosting its service worker and extension pages), summed; undefined when none is found.
 * RSS, not PSS: the question is what that process holds (ArrayBuffers, IndexedDB value copies and
 * wasm live outside the JS heap), counted whole.
 */
export function extensionProcessRssKiB(profileDir: string): number | undefined {
  const root = browserMainPid(profileDir);
  if (root === undefined) return undefined;
  let total: number | undefined;
  for (const pid of processTree(root)) {
    if (processKind(pid) !== "renderer (extension)") continue;
    const match = read(`/proc/${pid}/status`)?.match(/^VmRSS:\s+(\d+) kB/m);
    if (match) total = (total ?? 0) + Number(match[1]);
  }
  return total;
}
