// Waku protocol ids this repository matches on outside @waku/sdk (the popup's peer view, the worker's relay, the devnet).
// Wire constants: defined once here.

/** Waku relay's codec: a peer that lists it serves relay (our node too, when the user turned relay on). */
export const WAKU_RELAY_CODEC = "/vac/waku/relay/2.0.0";
