// @reliable-channel/client: the page API's types, discovery, typed errors and limits for dApps.
// No runtime dependencies; React bindings are at the "./react" subpath (react.ts), their state logic here (channel-state.ts).

export * from "./api.js";
export { ErrorCodes, knownErrorName, type ErrorCode, type ErrorName } from "./error-codes.js";
export {
  MAX_PAGE_CALL_BYTES,
  MAX_PAGE_CALL_DEPTH,
  MAX_OPEN_CHANNELS_PER_SITE,
  MAX_PENDING_SENDS_PER_SITE,
  MAX_LISTENERS_PER_PAGE,
  CALLS_IN_FLIGHT_PER_PAGE,
  DEFAULT_SITE_BUDGET_BYTES,
  SITE_BUDGET_BOUNDS,
  PROMPT_DENY_COOLDOWN_MS,
  PROMPT_GONE_GRACE_MS,
  SENDS_IN_PROGRESS,
} from "./limits.js";
export { DELIVERY_PATHS, PROGRESS_STAGES, REQUEST_STAGES, STAGE_RANK, progressFraction, describeProgress, type DeliveryPath, type ProgressStage, type RequestStage } from "./stages.js";
export { syncStatusOf } from "./sync-state.js";
export { ReliableChannelProviderError, isProviderError, fromUnknown, errorNameOf, type ProviderErrorLike } from "./errors.js";
export {
  requestProvider,
  isReliableChannelProvider,
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  type DiscoveryTarget,
  type RequestProviderOptions,
  type ProviderDiscovery,
} from "./discovery.js";
export { request } from "./request.js";
export {
  channelReducer,
  initialChannelState,
  attachChannel,
  openAndAttach,
  closeHandle,
  sendOn,
  channelOptionsKey,
  DEFAULT_KEPT_MESSAGES,
  type ChannelState,
  type ChannelAction,
  type ChannelPhase,
} from "./channel-state.js";
