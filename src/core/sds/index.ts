/** Public surface of the SDS layer. */
export { SdsChannel } from "./channel.js";
export type {
  DueResult,
  ReceiveOptions,
  ReceiveOutcome,
  ReceiveResult,
  SdsChannelDeps,
  SdsChannelInit,
  Transmission,
  WrapOptions,
  WrapResult,
  NewWrap,
} from "./channel.js";
export type {
  AckNotice,
  Delivery,
  EphemeralDelivery,
  MissingDependency,
  OutgoingStatus,
  PossibleAckNotice,
  SdsEvent,
  SdsEventListener,
} from "./events.js";
export { DEFAULT_SDS_PARAMS, WAKU_SDS_COMPATIBLE_PARAMS, resolveSdsParams } from "./params.js";
export type { DelayRange, SdsParams, SdsParamsInput } from "./params.js";
export { WAKU_SDS_BLOOM } from "./bloom-port.js";
export type { BloomPlacement, BloomSpec } from "./bloom-port.js";
export type { SdsCodec, SdsDecodeResult } from "./codec-port.js";
export { cryptoRandom } from "./random.js";
export type { SdsRandom } from "../ports/random.js";
export type * from "./types.js";
export type { SdsChannelSnapshot, SdsStore, SdsWriteBatch, SdsWriteOp } from "../ports/sds-store.js";
export { SdsDueDriver } from "./driver.js";
export type { SdsDueDriverOptions } from "./driver.js";
