/**
 * Retention rules of a channel's own records: which received messages the inbox keeps, when a
 * send's final state may leave the outbox, and validation of a channel's `retention` setting.
 */
import { invalidParams } from "../../shared/errors.js";
import { CHANNEL_RETENTION_BOUNDS, DEFAULT_CHANNEL_RETENTION } from "../../shared/limits.js";
import type { OutboxPart, OutboxRequest } from "./types.js";

/** Received messages kept: the newest `maxMessages`, none older than `maxAgeMs` (the newest always). */
export interface InboxRetention {
  maxMessages: number;
  maxAgeMs: number;
}

export const DEFAULT_INBOX_RETENTION: InboxRetention = { ...DEFAULT_CHANNEL_RETENTION };

/** Merge `input` over the defaults (or over `base`); throws InvalidParams (5001) outside the bounds. */
export function resolveRetention(input: unknown, base: InboxRetention = DEFAULT_INBOX_RETENTION): InboxRetention {
  if (input === undefined) return { ...base };
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw invalidParams("retention must be an object { maxMessages?, maxAgeMs? }");
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== "maxMessages" && key !== "maxAgeMs") throw invalidParams(`retention has no field "${key.slice(0, 32)}" (maxMessages, maxAgeMs)`);
  }
  return {
    maxMessages: bounded("retention.maxMessages", record.maxMessages, base.maxMessages, CHANNEL_RETENTION_BOUNDS.maxMessages),
    maxAgeMs: bounded("retention.maxAgeMs", record.maxAgeMs, base.maxAgeMs, CHANNEL_RETENTION_BOUNDS.maxAgeMs),
  };
}

function bounded(name: string, value: unknown, fallback: number, range: { readonly min: number; readonly max: number }): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidParams(`${name} must be an integer in ${range.min}..${range.max}`, { [name]: value });
  }
  return value;
}

/**
 * A part nothing will move any more: failed, or final in SDS (acknowledged or given up after
 * its last resend); an ephemeral part (never logged by SDS) once the network took it.
 */
function partSettled(part: OutboxPart, ephemeral: boolean): boolean {
  if (part.stage === "failed" || part.sdsFinal === true) return true;
  return ephemeral && part.stage !== "queued";
}

/**
 * A request may leave the outbox (after its final state was readable for a while) once it was
 * prepared and every part settled: no SDS resend will ever look it up again (a resend of a
 * segment needs its request to be marked as a segment on the wire).
 */
export function requestSettled(request: OutboxRequest): boolean {
  return request.prepared && request.parts.length > 0 && request.parts.every((part) => partSettled(part, request.ephemeral));
}
