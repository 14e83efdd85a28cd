export * from "./types.js";
export * from "./store.js";
export * from "./backoff.js";
export * from "./method.js";
export * from "./delivery-service.js";
