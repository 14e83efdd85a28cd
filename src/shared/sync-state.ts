// The sync-state type and helpers now live in the client package dApps install (one source for the extension and pages);
// this path re-exports them so the extension's modules and tests keep their imports.
export * from "../../packages/client/src/sync-state.js";
