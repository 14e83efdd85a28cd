/**
 * Input checks of the playground's forms, run before anything reaches the extension so the page
 * can explain a mistake next to the field instead of surfacing a rejected promise. The limits
 * are the page API's own (packages/client/src/api.ts); the extension validates again.
 */
import {
  CHANNEL_ID_PATTERN,
  CHANNEL_KEY_BYTES,
  CONTENT_TOPIC_PATTERN,
  MAX_CONTENT_TOPIC_LENGTH,
  MAX_PAYLOAD_BYTES,
  PARTICIPANT_ID_PATTERN,
} from "../shared/api.js";
import { formatBytes } from "../shared/format-bytes.js";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(error: string): Checked<T> => ({ ok: false, error });

export function checkChannelId(raw: string): Checked<string> {
  const value = raw.trim();
  if (value === "") return fail("Give the channel a name: every participant that opens the same id (and key) talks together.");
  if (value.length > 128) return fail(`A channel id has at most 128 characters (this one has ${value.length}).`);
  if (!CHANNEL_ID_PATTERN.test(value)) return fail("Use letters, digits and . _ ~ : @ + / - only (no spaces).");
  return ok(value);
}

/** Empty means "derive it from the channel id". */
export function checkContentTopic(raw: string): Checked<string | undefined> {
  const value = raw.trim();
  if (value === "") return ok(undefined);
  if (value.length > MAX_CONTENT_TOPIC_LENGTH) return fail(`At most ${MAX_CONTENT_TOPIC_LENGTH} characters.`);
  if (!CONTENT_TOPIC_PATTERN.test(value)) return fail("A Waku content topic looks like /application/version/topic/encoding, e.g. /my-app/1/room/proto.");
  return ok(value);
}

/** Empty means "no encryption". */
export function checkKey(raw: string): Checked<string | undefined> {
  const value = raw.trim().toLowerCase();
  if (value === "") return ok(undefined);
  if (!/^[0-9a-f]*$/.test(value)) return fail("A key is written as hexadecimal (0-9, a-f).");
  if (value.length !== CHANNEL_KEY_BYTES * 2) return fail(`A key is ${CHANNEL_KEY_BYTES} bytes = ${CHANNEL_KEY_BYTES * 2} hex characters (this one has ${value.length}).`);
  return ok(value);
}

export function checkParticipantId(raw: string): Checked<string | undefined> {
  const value = raw.trim();
  if (value === "") return ok(undefined);
  if (!PARTICIPANT_ID_PATTERN.test(value)) return fail("1-64 characters of letters, digits and . _ - only.");
  return ok(value);
}

export function checkText(raw: string): Checked<string> {
  if (raw === "") return fail("Type a message first.");
  const bytes = new TextEncoder().encode(raw).byteLength;
  if (bytes > MAX_PAYLOAD_BYTES) return fail(`This text is ${formatBytes(bytes)} as UTF-8; one message carries at most ${formatBytes(MAX_PAYLOAD_BYTES)}.`);
  return ok(raw);
}

/** JSON is sent as its UTF-8 text, re-serialised compactly so the receiver gets canonical JSON. */
export function checkJson(raw: string): Checked<string> {
  if (raw.trim() === "") return fail('Type a JSON value first, e.g. {"hello": "world"}.');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail(`This is not valid JSON: ${detail}. Strings and keys need double quotes; no trailing commas.`);
  }
  return checkText(JSON.stringify(value));
}

export function checkFile(file: File | undefined): Checked<File> {
  if (!file) return fail("Choose a file first.");
  if (file.size === 0) return fail(`"${file.name}" is empty: there is nothing to send.`);
  if (file.size > MAX_PAYLOAD_BYTES) {
    return fail(
      `"${file.name}" is ${formatBytes(file.size)}, but one message carries at most ${formatBytes(MAX_PAYLOAD_BYTES)} ` +
        `(MAX_PAYLOAD_BYTES): the extension keeps every accepted message durable in the browser's storage until ` +
        `everyone acknowledged it, and segments it into ~150 KiB Waku messages. Split the file into pieces of ` +
        `at most ${formatBytes(MAX_PAYLOAD_BYTES)} and send each, or share a link to it instead.`,
    );
  }
  return ok(file);
}
