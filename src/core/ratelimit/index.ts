export * from "./types.js";
export type * from "../ports/ratelimit-store.js";
export * from "./rate-limiter.js";
