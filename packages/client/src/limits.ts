// Limits: the page API's input bounds, the Waku network's message limits, and the bounds of saved settings.
// The one home of each number; the core, the worker, the pages, the devnet and the tests import them.

// ---------------------------------------------------------------------------------------------
// Page API (validated by the extension; pages may check early to give better feedback)
// ---------------------------------------------------------------------------------------------

/** Largest payload accepted by `send` (bytes, after UTF-8 encoding a string): 10 MiB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** Channel ids: 1..128 characters of `[A-Za-z0-9._~:@+/-]` (ASCII, safe in URLs and topics). */
export const CHANNEL_ID_PATTERN = /^[A-Za-z0-9._~:@+/-]{1,128}$/;
/** Participant ids: 1..64 characters of `[A-Za-z0-9._-]`. */
export const PARTICIPANT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Idempotency keys: 1..128 characters of `[A-Za-z0-9._:-]`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Waku content topics: `/{application}/{version}/{topic}/{encoding}`, optionally prefixed by a
 * generation (`/0/app/1/topic/proto`); at most 256 characters.
 */
export const CONTENT_TOPIC_PATTERN = /^(\/[0-9]+)?\/[A-Za-z0-9._-]+\/[0-9]+\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;
export const MAX_CONTENT_TOPIC_LENGTH = 256;
/** Channel keys are 32 bytes (AES-256-GCM); pass them as bytes or as 64 hex characters. */
export const CHANNEL_KEY_BYTES = 32;
/** Most messages one `messages()` call returns. */
export const MAX_MESSAGES_PAGE = 500;
/**
 * Largest page call the page API passes on, estimated before anything is posted (strings at 2
 * bytes a character, binary data at its length, 8 bytes for every other value or key): well under
 * Chrome's 64 MiB limit on one extension message, whose overflow throws in the content script
 * instead of answering. A 10 MiB payload (as bytes, or as a string of up to 10 Mi characters) fits.
 */
export const MAX_PAGE_CALL_BYTES = 32 * 1024 * 1024;
/** Deepest nesting of objects and arrays in a page call's params (the API needs 3). */
export const MAX_PAGE_CALL_DEPTH = 32;

// ---------------------------------------------------------------------------------------------
// Per site (enforced by the worker; a page cannot be trusted to count) and per page
// ---------------------------------------------------------------------------------------------

/** Channels one site may have open at once, over all its tabs; one more is 5009 `TooManyChannels`. */
export const MAX_OPEN_CHANNELS_PER_SITE = 256;
/**
 * Sends of one site the worker holds unanswered (queued or being made durable), over all its tabs;
 * one more is 5010 `TooManyPendingSends`. Room for a burst of 1,000 with margin.
 */
export const MAX_PENDING_SENDS_PER_SITE = 2_048;
/** Event listeners one page may hold (provider and channel handles together); one more is 5011 `TooManyListeners`. */
export const MAX_LISTENERS_PER_PAGE = 2_048;
/**
 * Calls one page (its content script) has posted to the worker and not had answered; more wait
 * in the content script, in the page's own process. The worker's queue of port messages is
 * FIFO across sites, so this is what keeps one page's flood from standing in front of another
 * site's call. `rc_connect`, `rc_disconnect`, `rc_getPermissions` and the content script's own
 * re-attach calls are not counted (a prompt may hold `rc_connect` for minutes).
 */
export const CALLS_IN_FLIGHT_PER_PAGE = 32;
/**
 * Sends the worker makes durable at once, taken round-robin from the sites' queues: one site's
 * flood holds another site's send up by at most this many sends (one batched write).
 */
export const SENDS_IN_PROGRESS = 256;

// ---------------------------------------------------------------------------------------------
// Waku network (64/WAKU2-NETWORK, nwaku; the devnet enforces the same)
// ---------------------------------------------------------------------------------------------

/** Largest whole WakuMessage: 150 KiB, the lightpush size limit of nwaku and the devnet. */
export const WAKU_MAX_MESSAGE_BYTES = 150 * 1024;
/** nwaku's (and the devnet's) accepted distance between a message timestamp and its clock. */
export const MAX_TIMESTAMP_SKEW_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Saved settings (popup)
// ---------------------------------------------------------------------------------------------

/** Bootstrap multiaddrs one network setting may list. */
export const MAX_BOOTSTRAP_PEERS = 16;
/** Accepted range of the profile-wide send budget (messages per epoch, epoch length). */
export const RATE_LIMIT_BOUNDS = { messagesPerEpoch: { min: 1, max: 100_000 }, epochMs: { min: 100, max: 3_600_000 } } as const;
/** Storage budget of one approved site (bytes the extension holds for it): 256 MiB unless the user sets another. */
export const DEFAULT_SITE_BUDGET_BYTES = 256 * 1024 * 1024;
/** Accepted range of a site's storage budget: 1 MiB .. 64 GiB. */
export const SITE_BUDGET_BOUNDS = { min: 1024 * 1024, max: 64 * 1024 * 1024 * 1024 } as const;

// ---------------------------------------------------------------------------------------------
// Permission prompts (src/background/prompt-queue.ts)
// ---------------------------------------------------------------------------------------------

/** After a deny (or a prompt closed unanswered) the site's `connect()` fails at once with 4001, no window, this long: 10 minutes. */
export const PROMPT_DENY_COOLDOWN_MS = 10 * 60_000;
/**
 * A pending prompt whose asking pages have all gone (tab closed, navigated away, reloaded) is
 * dropped, and its window closed, after this grace: long enough for a page's port to reconnect.
 */
export const PROMPT_GONE_GRACE_MS = 2_000;

// ---------------------------------------------------------------------------------------------
// MV3 service worker (Chrome stops an idle worker after ~30 s; an extension API call or a port
// message resets that timer)
// ---------------------------------------------------------------------------------------------

/** How often a context that must keep the worker awake touches it: well inside the 30 s idle limit. */
export const WORKER_KEEPALIVE_EVERY_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Retention (what the extension keeps, and for how long; docs/architecture.md "Retention")
// ---------------------------------------------------------------------------------------------

/**
 * Received messages kept per channel for pages to catch up: the newest `maxMessages`, none
 * older than `maxAgeMs`, whichever keeps fewer (the newest message is always kept: it carries
 * the channel's cursor). Settable per channel in `openChannel({ retention })`.
 */
export const DEFAULT_CHANNEL_RETENTION = { maxMessages: 1_000, maxAgeMs: 7 * 24 * 60 * 60_000 } as const;
/** Accepted range of a channel's `retention` settings. */
export const CHANNEL_RETENTION_BOUNDS = {
  maxMessages: { min: 1, max: 10_000 },
  maxAgeMs: { min: 60_000, max: 90 * 24 * 60 * 60_000 },
} as const;
/**
 * A send's final state (acknowledged, failed, or given up by SDS) stays readable through
 * `request(id)` for `maxAgeMs` after it settled, and for at most the newest `maxPerChannel`
 * settled sends of a channel; after that `request(id)` answers 5007 RequestNotFound.
 */
export const SETTLED_REQUEST_RETENTION = { maxAgeMs: 60 * 60_000, maxPerChannel: 1_000 } as const;
/** Marks of received segment carriers kept at most this long (a backstop: most go on delivery). */
export const SEGMENT_CARRIER_RETENTION_MS = 7 * 24 * 60 * 60_000;
