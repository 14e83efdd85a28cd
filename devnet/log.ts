/**
 * Quiet, bounded logging for the devnet.
 *
 * Why: a devnet under hostile input (floods, garbage streams) must not flood the terminal or the
 * test output. Guarantees:
 * - level "warn" (the default) prints only problems; "info"/"debug" add lifecycle and per-request
 *   lines. Set it with the `logLevel` option or `DEVNET_LOG=silent|warn|info|debug`
 *   (`DEVNET_VERBOSE=1` is a shortcut for debug).
 * - `warn(kind, text)` prints at most one line per kind every `WARN_WINDOW_MS`; repeats inside the
 *   window are counted and reported with the next line of that kind. A flood costs one line.
 */

export type LogLevel = "silent" | "warn" | "info" | "debug";

export type LogSink = (line: string) => void;

export interface DevnetLogger {
  /** A problem caused by a peer or the environment; rate limited per `kind`. */
  warn(kind: string, text: string): void;
  info(text: string): void;
  debug(text: string): void;
  child(scope: string): DevnetLogger;
}

const WARN_WINDOW_MS = 5_000;
const MAX_TRACKED_KINDS = 1_000;

const LEVEL_RANK: Record<LogLevel, number> = { silent: 0, warn: 1, info: 2, debug: 3 };

export function isLogLevel(value: string): value is LogLevel {
  return value in LEVEL_RANK;
}

/** The level from the environment, or `fallback`. */
export function logLevelFromEnv(fallback: LogLevel = "warn"): LogLevel {
  if (process.env.DEVNET_VERBOSE === "1") return "debug";
  const fromEnv = process.env.DEVNET_LOG;
  if (fromEnv !== undefined && isLogLevel(fromEnv)) return fromEnv;
  return fallback;
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

interface WarnWindow {
  startedAt: number;
  suppressed: number;
}

export function createLogger(options: { level?: LogLevel; sink?: LogSink; scope?: string } = {}): DevnetLogger {
  const level = options.level ?? logLevelFromEnv();
  const sink = options.sink ?? stderrSink;
  const windows = new Map<string, WarnWindow>();
  return makeLogger(options.scope ?? "devnet", LEVEL_RANK[level], sink, windows);
}

function makeLogger(
  scope: string,
  rank: number,
  sink: LogSink,
  windows: Map<string, WarnWindow>,
): DevnetLogger {
  const emit = (tag: string, text: string): void => sink(`[${scope}] ${tag} ${text}`);
  return {
    warn(kind, text) {
      if (rank < LEVEL_RANK.warn) return;
      const key = `${scope}:${kind}`;
      const now = Date.now();
      const window = windows.get(key);
      if (window !== undefined && now - window.startedAt < WARN_WINDOW_MS) {
        window.suppressed += 1;
        return;
      }
      const suppressed = window?.suppressed ?? 0;
      if (windows.size >= MAX_TRACKED_KINDS && window === undefined) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.delete(key);
      windows.set(key, { startedAt: now, suppressed: 0 });
      emit("warn", suppressed > 0 ? `${kind}: ${text} (+${suppressed} similar suppressed)` : `${kind}: ${text}`);
    },
    info(text) {
      if (rank >= LEVEL_RANK.info) emit("info", text);
    },
    debug(text) {
      if (rank >= LEVEL_RANK.debug) emit("debug", text);
    },
    child(child) {
      return makeLogger(`${scope}:${child}`, rank, sink, windows);
    },
  };
}

/** A short, log-safe description of an unknown thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
