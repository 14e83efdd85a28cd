// The page API's contract (types, discovery events) lives in the client package dApps install (one source for the extension and pages);
// this path re-exports it so the extension's modules and tests keep their imports.
export * from "../../packages/client/src/api.js";
