// The error table: every error's stable name and numeric code, and what it means to a caller.
// Defined once: the extension's `ReliableChannelError` and the page API's `ProviderErrorCode` both read it.

/**
 * Stable error codes by name. Codes 4001/4100/4200/4900 follow EIP-1193; 5xxx are ours. Class
 * identity does not survive `postMessage`/`chrome.runtime` messaging, so the name and code are
 * what a page (or another context) matches on.
 */
export const ErrorCodes = {
  /** 4001: the user denied the connection (or the site is in its cooldown after a deny); ask again only after a user action. */
  UserRejected: 4001,
  /** 4100: this site is not approved (or was revoked): call `connect()` first. */
  Unauthorized: 4100,
  /** 4200: unknown method name. */
  UnsupportedMethod: 4200,
  /**
   * 4900: the extension did not answer (updated, disabled, or restarting); retry after the
   * `connect` event.
   */
  Disconnected: 4900,
  /** 5001: an argument failed validation; the message says which. */
  InvalidParams: 5001,
  /** 5002: payload above `MAX_PAYLOAD_BYTES`; send smaller pieces. */
  PayloadTooLarge: 5002,
  /**
   * 5003: the site's storage budget (or the browser's quota for the extension) is used up; nothing
   * of the refused send was written. Wait for pending messages to be acknowledged, or raise the
   * site's budget in the popup.
   */
  StorageFull: 5003,
  /** 5004: the channel is not open in this page: call `openChannel()` first. */
  ChannelNotFound: 5004,
  /** 5005: bytes from the network could not be decoded (wrong key, tampered, malformed); internal to the pipeline. */
  Decode: 5005,
  /** 5006: a message could not be delivered. */
  DeliveryFailed: 5006,
  /** 5007: no send with this request id is known to this site (ids of other sites are never visible). */
  RequestNotFound: 5007,
  /**
   * 5008: reserved. It was "another site of this profile owns this channel id"; since each site
   * is its own participant in a channel id it is no longer returned, and the code is not reused.
   */
  ChannelInUse: 5008,
  /**
   * 5009: the site has `MAX_OPEN_CHANNELS_PER_SITE` channels open (over all its tabs); close one
   * (`channel.close()`) before opening another.
   */
  TooManyChannels: 5009,
  /**
   * 5010: the site has `MAX_PENDING_SENDS_PER_SITE` sends waiting to be accepted; nothing of the
   * refused send was written. Wait for earlier sends to resolve, then send again.
   */
  TooManyPendingSends: 5010,
  /** 5011: the page holds `MAX_LISTENERS_PER_PAGE` event listeners; remove some (`removeListener`). */
  TooManyListeners: 5011,
  /** 5999: a bug; please report it. */
  Internal: 5999,
} as const;

export type ErrorName = keyof typeof ErrorCodes;
export type ErrorCode = (typeof ErrorCodes)[ErrorName];

/** The table's name for an error name received from another context; unknown names become "Internal". */
export function knownErrorName(name: string): ErrorName {
  // `in`, as the extension always matched: it also lets Object.prototype names (e.g. "toString")
  // through; tightening that to Object.hasOwn is a behaviour change, left for its own commit.
  return name in ErrorCodes ? (name as ErrorName) : "Internal";
}
