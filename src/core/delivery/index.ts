/** Public surface of the delivery layer (the Send API, made durable). */
export * from "./types.js";
export type * from "../ports/delivery-store.js";
export * from "./backoff.js";
export * from "./method.js";
export * from "./options.js";
export * from "./delivery-service.js";
