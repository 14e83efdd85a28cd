/**
 * Local channel ids: the key a channel's state has in the stores when a second site of the
 * profile takes part in the same network channel (same SDS `channel_id`, its own participant).
 *
 * The first participant of a profile keeps the wire id as its key (so profiles from before
 * per-site channels keep their state as is); the n-th (n >= 2) is keyed `<wire id>#<n>`. `#` is
 * outside `CHANNEL_ID_PATTERN`, so a local id never equals any page's channel id.
 */
const SEPARATOR = "#";
const ORDINAL = /^[2-9]$|^[1-9][0-9]{1,5}$/;

/** The store key of the `ordinal`-th participant (1-based) of this profile in `wireChannelId`. */
export function localChannelId(wireChannelId: string, ordinal: number): string {
  if (!Number.isSafeInteger(ordinal) || ordinal < 1) throw new RangeError(`participant ordinal must be a positive integer, got ${ordinal}`);
  return ordinal === 1 ? wireChannelId : `${wireChannelId}${SEPARATOR}${ordinal}`;
}

/** Whether `channelId` is the key of a second (or later) participant of this profile in `wireChannelId`. */
export function isLocalChannelIdOf(channelId: string, wireChannelId: string): boolean {
  const prefix = `${wireChannelId}${SEPARATOR}`;
  return channelId.startsWith(prefix) && ORDINAL.test(channelId.slice(prefix.length));
}
