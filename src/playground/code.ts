/**
 * The JavaScript behind each playground action, as a developer would write it against
 * `window.reliableChannel`. Built from the very arguments the action passed, so copying it into
 * another page's console repeats the call.
 */
import type { OpenChannelOptions, SendOptions } from "../shared/api.js";

/** Longest string literal shown in full; longer ones are cut (and say so). */
const MAX_LITERAL = 600;

export function literal(value: unknown): string {
  if (typeof value === "string" && value.length > MAX_LITERAL) {
    return `${JSON.stringify(value.slice(0, MAX_LITERAL))} /* … ${value.length - MAX_LITERAL} more characters */`;
  }
  return JSON.stringify(value);
}

function objectLiteral(entries: Record<string, unknown>): string {
  const parts = Object.entries(entries)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${literal(value)}`);
  return `{ ${parts.join(", ")} }`;
}

function channelComment(channelId: string): string {
  return `// channel = await window.reliableChannel.openChannel({ channelId: ${literal(channelId)} })`;
}

export function connectCode(): string {
  return "const { origin } = await window.reliableChannel.connect(); // opens the permission prompt once per site";
}

export function openChannelCode(options: OpenChannelOptions): string {
  return [
    `const channel = await window.reliableChannel.openChannel(${objectLiteral({ ...options })});`,
    'channel.on("message", (m) => console.log(m.senderId, new TextDecoder().decode(m.data)));',
    'channel.on("status", (s) => console.log(s.requestId, s.state));',
    "const history = await channel.messages({ since: null }); // what arrived before this page opened it",
  ].join("\n");
}

function sendOptions(options: SendOptions): string {
  const entries = { ephemeral: options.ephemeral || undefined, idempotencyKey: options.idempotencyKey };
  return Object.values(entries).some((v) => v !== undefined) ? `, ${objectLiteral(entries)}` : "";
}

export function sendTextCode(channelId: string, text: string, options: SendOptions): string {
  return [channelComment(channelId), `const { requestId } = await channel.send(${literal(text)}${sendOptions(options)});`].join("\n");
}

export function sendJsonCode(channelId: string, json: string, options: SendOptions): string {
  return [
    channelComment(channelId),
    `const { requestId } = await channel.send(JSON.stringify(${json.length > MAX_LITERAL ? `JSON.parse(${literal(json)})` : json})${sendOptions(options)});`,
  ].join("\n");
}

export function sendFileCode(channelId: string, file: { name: string; size: number }, options: SendOptions): string {
  return [
    channelComment(channelId),
    `const file = document.querySelector("#send-file").files[0]; // ${literal(file.name)}, ${file.size} bytes`,
    `const { requestId } = await channel.send(new Uint8Array(await file.arrayBuffer())${sendOptions(options)});`,
    "// (the playground reads the file in chunks with file.stream() to draw its progress bar)",
  ].join("\n");
}

export function closeChannelCode(channelId: string): string {
  return [channelComment(channelId), "await channel.close(); // sends already accepted keep being delivered"].join("\n");
}

export function statusCode(channelId: string, requestId: string): string {
  return [channelComment(channelId), `const status = await channel.status(${literal(requestId)});`].join("\n");
}

export function controlCode(method: string, path: string, body?: unknown): string {
  const init = body === undefined ? `{ method: ${literal(method)} }` : `{ method: ${literal(method)}, headers: { "content-type": "application/json" }, body: JSON.stringify(${JSON.stringify(body)}) }`;
  return [`// the playground server forwards /api/devnet/* to the devnet's control API`, `await fetch(${literal(`/api/devnet${path}`)}, ${init});`].join("\n");
}
