/**
 * On-disk persistence of a node's archive: one append-only JSONL file.
 *
 * Line format (v1): {"v":1,"topic":"<pubsub topic>","ts":"<ordering timestamp ns>","msg":"<base64
 * of the encoded WakuMessage>"}. The message hash is recomputed on load, so a line cannot carry a
 * wrong one. Guarantees:
 * - appends are written in call order; `flush()` resolves once everything appended so far is on
 *   disk (as far as the OS is concerned);
 * - loading skips (and reports) malformed lines instead of failing, keeps the newest `keep` lines,
 *   and rewrites the file when it holds more than twice that, so the file stays bounded;
 * - `truncate()` empties the file (store wipe).
 */
import { appendFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface ArchiveLine {
  readonly pubsubTopic: string;
  readonly timestamp: bigint;
  readonly encodedMessage: Uint8Array;
}

export interface LoadResult {
  readonly lines: ArchiveLine[];
  readonly malformed: number;
  /** Valid lines dropped because the file held more than `keep`. */
  trimmed: number;
}

export class ArchiveFile {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Opens (creating) the file and returns its retained lines. A failed write is reported to
   * `onError` when it happens and rethrown once by the next `flush()`.
   */
  static async open(path: string, keep: number, onError: (err: unknown) => void): Promise<{ file: ArchiveFile; loaded: LoadResult }> {
    await mkdir(dirname(path), { recursive: true });
    const loaded = await load(path);
    if (loaded.lines.length > keep) {
      loaded.trimmed = loaded.lines.length - keep;
      loaded.lines.splice(0, loaded.trimmed);
    }
    if (loaded.malformed > 0 || loaded.trimmed > keep) {
      await rewrite(path, loaded.lines);
    }
    return { file: new ArchiveFile(path, onError), loaded };
  }

  append(line: ArchiveLine): void {
    const batch = this.pending;
    batch.push(serialize(line));
    if (batch.length === 1) this.chain(() => this.write(batch));
  }

  /** Resolves once every line appended so far is written; rethrows a write failure once. */
  async flush(): Promise<void> {
    await this.writing;
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }

  /** Empties the file. Lines appended before the call are discarded, later ones kept. */
  async truncate(): Promise<void> {
    this.pending = [];
    this.chain(() => writeFile(this.path, ""));
    await this.flush();
  }

  private chain(step: () => Promise<void>): void {
    this.writing = this.writing.then(step).catch((err: unknown) => {
      this.failure = err;
      this.onError(err);
    });
  }

  private async write(batch: string[]): Promise<void> {
    if (this.pending === batch) this.pending = [];
    await appendFile(this.path, batch.join(""));
  }
}

function serialize(line: ArchiveLine): string {
  return `${JSON.stringify({
    v: 1,
    topic: line.pubsubTopic,
    ts: line.timestamp.toString(),
    msg: Buffer.from(line.encodedMessage).toString("base64"),
  })}\n`;
}

function parse(text: string): ArchiveLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    void err; // a torn or corrupted line: reported by the caller as malformed
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.v !== 1 || typeof record.topic !== "string" || typeof record.ts !== "string" || typeof record.msg !== "string") {
    return undefined;
  }
  if (!/^-?\d{1,20}$/.test(record.ts)) return undefined;
  return {
    pubsubTopic: record.topic,
    timestamp: BigInt(record.ts),
    encodedMessage: new Uint8Array(Buffer.from(record.msg, "base64")),
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

async function load(path: string): Promise<LoadResult> {
  const lines: ArchiveLine[] = [];
  let malformed = 0;
  for (const text of (await readText(path)).split("\n")) {
    if (text.trim() === "") continue;
    const line = parse(text);
    if (line === undefined) malformed += 1;
    else lines.push(line);
  }
  return { lines, malformed, trimmed: 0 };
}

async function rewrite(path: string, lines: readonly ArchiveLine[]): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, lines.map(serialize).join(""));
  await rename(temp, path);
}
