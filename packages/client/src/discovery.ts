// Finding the extension's provider from a page: `window.reliableChannel` when it is there, else the
// EIP-6963-style announce/request events, with a timeout that ends in a typed "not installed" result.

import { ANNOUNCE_PROVIDER_EVENT, REQUEST_PROVIDER_EVENT, type ProviderInfo, type ReliableChannelProvider } from "./api.js";

/** Waited for an announcement by default: the extension injects at document_start, so this is only a safety margin. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 1_000;

/** Where discovery looks: `window` in a page; tests pass any `EventTarget`. */
export interface DiscoveryTarget {
  reliableChannel?: ReliableChannelProvider;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  dispatchEvent(event: Event): boolean;
}

export interface RequestProviderOptions {
  /** Milliseconds to wait for an announcement (default `DEFAULT_DISCOVERY_TIMEOUT_MS`). */
  timeout?: number;
  /** Stop waiting early: the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Default: `window` (none, e.g. during server-side rendering: "not-installed" at once). */
  target?: DiscoveryTarget;
}

export type ProviderDiscovery =
  | { status: "found"; provider: ReliableChannelProvider; info: ProviderInfo }
  | {
      status: "not-installed";
      /** "timeout": nothing announced within `waitedMs`; "no-window": not running in a page. */
      reason: "timeout" | "no-window";
      waitedMs: number;
    };

/** A provider the page can use: checked, because any script on the page may dispatch the announce event. */
export function isReliableChannelProvider(value: unknown): value is ReliableChannelProvider {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof ReliableChannelProvider, unknown>>;
  return (
    candidate.isReliableChannel === true &&
    typeof candidate.request === "function" &&
    typeof candidate.on === "function" &&
    typeof candidate.removeListener === "function" &&
    typeof candidate.openChannel === "function" &&
    typeof candidate.info === "object" &&
    candidate.info !== null
  );
}

function defaultTarget(): DiscoveryTarget | undefined {
  return typeof window === "undefined" ? undefined : (window as unknown as DiscoveryTarget);
}

/**
 * Resolves with the extension's provider (`status: "found"`), or with `status: "not-installed"`
 * when none is present and none announces itself within `timeout`. Never rejects, except when
 * `signal` aborts. The first valid announcement wins; announcements of other shapes are ignored.
 */
export function requestProvider(options: RequestProviderOptions = {}): Promise<ProviderDiscovery> {
  const timeout = Math.max(0, options.timeout ?? DEFAULT_DISCOVERY_TIMEOUT_MS);
  const target = options.target ?? defaultTarget();
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!target) return Promise.resolve({ status: "not-installed", reason: "no-window", waitedMs: 0 });
  const present = target.reliableChannel;
  if (isReliableChannelProvider(present)) return Promise.resolve({ status: "found", provider: present, info: present.info });

  return new Promise<ProviderDiscovery>((resolve, reject) => {
    const started = Date.now();
    const finish = (): void => {
      clearTimeout(timer);
      target.removeEventListener(ANNOUNCE_PROVIDER_EVENT, onAnnounce);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAnnounce = (event: Event): void => {
      const provider = (event as CustomEvent<{ provider?: unknown } | null>).detail?.provider;
      if (!isReliableChannelProvider(provider)) return;
      finish();
      resolve({ status: "found", provider, info: provider.info });
    };
    const onAbort = (): void => {
      finish();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      finish();
      resolve({ status: "not-installed", reason: "timeout", waitedMs: Date.now() - started });
    }, timeout);
    target.addEventListener(ANNOUNCE_PROVIDER_EVENT, onAnnounce);
    signal?.addEventListener("abort", onAbort, { once: true });
    target.dispatchEvent(new Event(REQUEST_PROVIDER_EVENT));
  });
}
