export * from "./limits.js";
export * from "./reed-solomon.js";
export * from "./segment-codec.js";
export * from "./segmenter.js";
export type * from "../ports/segment-store.js";
export * from "./reassembler.js";
