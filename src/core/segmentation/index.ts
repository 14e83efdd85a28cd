export * from "./limits.js";
export * from "./reed-solomon.js";
export * from "./segment-codec.js";
export * from "./segmenter.js";
export * from "./segment-store.js";
export * from "./reassembler.js";
