/**
 * The production adapters of the core's stateless ports (time, timers, wire codec, payload
 * cipher, hash): what the worker's engine, and whole-pipeline tests, hand to `ChannelManager`.
 */
import type { ChannelManagerDeps } from "../core/channel/channel-manager.js";
import { systemClock } from "../core/ports/clock.js";
import { systemScheduler } from "../core/ports/scheduler.js";
import { keccak256 } from "../crypto/keccak256.js";
import { WakuSymmetricCipher } from "../crypto/waku-symmetric-cipher.js";
import { WakuSdsCodec } from "../wire/sds-codec.js";
import { createNimWireProfile } from "../wire/wire-profile.js";

export type CoreAdapters = Pick<ChannelManagerDeps, "clock" | "scheduler" | "cipher" | "codec" | "keccak256" | "wireProfiles">;

/** Platform time and timers, the @waku/sdk-compatible SDS codec and cipher, keccak-256, the Nim wire profile. */
export function productionCoreAdapters(): CoreAdapters {
  return {
    clock: systemClock,
    scheduler: systemScheduler,
    cipher: new WakuSymmetricCipher(),
    codec: new WakuSdsCodec(),
    keccak256,
    wireProfiles: { nim: createNimWireProfile(keccak256) },
  };
}
