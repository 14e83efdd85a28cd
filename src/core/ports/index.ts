export * from "./clock.js";
export * from "./scheduler.js";
export * from "./transport.js";
