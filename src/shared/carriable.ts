// What a page call may carry to the worker: a checked copy of its params, or a typed 5001 saying
// why not. Run in the page (before anything is posted) and again in the bridge.
import { MAX_PAGE_CALL_BYTES, MAX_PAGE_CALL_DEPTH } from "./limits.js";
import { ReliableChannelError, invalidParams } from "./errors.js";

/*
 * Realms: Firefox runs `world: "MAIN"` content scripts in a realm of their own, so the page's
 * objects reach the provider with another realm's `Object.prototype` and `ArrayBuffer`. Every
 * check below is therefore realm-independent: a plain object is one whose prototype is some
 * realm's root (its own prototype is null), an ArrayBuffer is what passes ArrayBuffer's brand check.
 */
const bufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")?.get;

/** Whether `value` is an ArrayBuffer of any realm (a Proxy or a look-alike with a spoofed tag is not). */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== "object" || value === null || !bufferByteLength) return false;
  try {
    bufferByteLength.call(value);
    return true;
  } catch {
    return false; // the brand check refused it
  }
}

/** Whether `proto` is what a plain object (of any realm) has as prototype: a realm's Object.prototype, or null. */
function isPlainPrototype(proto: unknown): boolean {
  return proto === null || (typeof proto === "object" && Object.getPrototypeOf(proto) === null);
}

const ALLOWED = "plain objects, arrays, strings, numbers, booleans, null and binary data (Uint8Array, ArrayBuffer)";

/**
 * A copy of `value` made only of what the page -> content script -> worker path carries
 * (structured clone, then a runtime port with a 64 MiB limit): plain objects (own enumerable
 * string keys), arrays, strings, numbers, booleans, null, undefined, `ArrayBuffer`s and
 * `ArrayBuffer` views (passed as they are). Everything else is refused with `InvalidParams`
 * (5001) and the reason: BigInts, symbols, functions, cycles, other objects (class instances,
 * Dates, Maps, DOM nodes...), nesting deeper than `MAX_PAGE_CALL_DEPTH`, an estimated size over
 * `MAX_PAGE_CALL_BYTES`, and any exception a getter or a Proxy throws while it is read.
 *
 * Guarantees: never throws anything but a `ReliableChannelError`; reads each property once (the
 * copy is what was checked, whatever a getter returns next time); work is bounded by the size
 * limit (an array's length is charged before its elements are read), so it ends quickly on any
 * value a page can build, sparse arrays of length 2^32-1 included. Proxies whose traps never
 * return are the page's own hang.
 */
export function carriableCopy(value: unknown, name = "params"): unknown {
  const walk = new Walk();
  try {
    return walk.copy(value, name, 0);
  } catch (error) {
    if (error instanceof ReliableChannelError) throw error;
    throw invalidParams(`${name} could not be read: ${safeMessage(error)}.`);
  }
}

class Walk {
  private bytes = 0;
  private readonly ancestors = new Set<object>();

  copy(value: unknown, path: string, depth: number): unknown {
    switch (typeof value) {
      case "string":
        this.charge(8 + 2 * value.length);
        return value;
      case "number":
      case "boolean":
      case "undefined":
        this.charge(8);
        return value;
      case "bigint":
        throw invalidParams(`${path} is a BigInt, which cannot be passed to the extension; use a number or a string.`);
      case "symbol":
        throw invalidParams(`${path} is a symbol, which cannot be passed to the extension; pass ${ALLOWED}.`);
      case "function":
        throw invalidParams(`${path} is a function, which cannot be passed to the extension; pass ${ALLOWED}.`);
      case "object":
        if (value === null) {
          this.charge(8);
          return null;
        }
        return this.copyObject(value, path, depth);
      default:
        throw invalidParams(`${path} is of an unknown type; pass ${ALLOWED}.`);
    }
  }

  private copyObject(value: object, path: string, depth: number): unknown {
    if (ArrayBuffer.isView(value) || isArrayBuffer(value)) {
      this.charge(8 + value.byteLength);
      return value;
    }
    if (depth >= MAX_PAGE_CALL_DEPTH) throw invalidParams(`${path} is nested deeper than ${MAX_PAGE_CALL_DEPTH} levels.`);
    if (this.ancestors.has(value)) throw invalidParams(`${path} refers back to an object that contains it (a cycle), which cannot be passed to the extension.`);
    this.ancestors.add(value);
    try {
      if (Array.isArray(value)) return this.copyArray(value, path, depth);
      const proto: unknown = Object.getPrototypeOf(value);
      if (!isPlainPrototype(proto)) {
        throw invalidParams(`${path} is ${kindOf(value)}, which the extension does not take; pass ${ALLOWED}.`);
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        this.charge(8 + 2 * key.length);
        const item = this.copy((value as Record<string, unknown>)[key], `${path}.${key.length > 32 ? `${key.slice(0, 32)}...` : key}`, depth + 1);
        // defineProperty: a key named "__proto__" stays a plain key, as structured clone keeps it.
        Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      }
      return out;
    } finally {
      this.ancestors.delete(value);
    }
  }

  private copyArray(value: unknown[], path: string, depth: number): unknown[] {
    const length: unknown = value.length;
    if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) throw invalidParams(`${path} is an array with an invalid length.`);
    this.charge(8 + 8 * length); // before reading: a sparse array of length 2^32-1 ends here
    const out: unknown[] = [];
    for (let index = 0; index < length; index++) out.push(this.copy(value[index], `${path}[${index}]`, depth + 1));
    return out;
  }

  private charge(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > MAX_PAGE_CALL_BYTES) {
      throw invalidParams(
        `params are too large to pass to the extension (over ${MAX_PAGE_CALL_BYTES} bytes as estimated; payloads go in data, at most 10 MiB).`,
        { limit: MAX_PAGE_CALL_BYTES },
      );
    }
  }
}

function kindOf(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === "Object" ? "an object with a custom prototype (e.g. a class instance)" : `a ${tag.slice(0, 40)}`;
}

/** The message of whatever a page's getter or Proxy threw, without trusting it to behave. */
export function safeMessage(error: unknown): string {
  try {
    const message = error instanceof Error ? error.message : String(error);
    return typeof message === "string" ? message.slice(0, 200) : "an exception";
  } catch {
    return "an exception";
  }
}
