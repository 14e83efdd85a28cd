export * from "./cipher.js";
export * from "./open-or-drop.js";
