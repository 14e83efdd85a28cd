/**
 * keccak256 for the core's segmentation (entire_message_hash), taken from
 * `@waku/message-encryption`'s crypto module (js-sha3 underneath), which the extension already
 * ships: no extra dependency, and the same function the 26/WAKU2-PAYLOAD signatures use.
 */
import { keccak256 as wakuKeccak256 } from "@waku/message-encryption/crypto";

import type { Keccak256 } from "../core/segmentation/segmenter.js";

export const keccak256: Keccak256 = (data) => wakuKeccak256(data);
