/**
 * A store wrapper that "kills the process" at its k-th commit: the commit either does not
 * happen ("before") or happens but the caller never hears back ("after"); from then on every
 * call fails, as if the worker were gone. A new wrapper over the same inner store is the restart.
 */
import type { SdsChannelSnapshot, SdsLoadOptions, SdsStore, SdsWriteBatch } from "../../src/core/ports/sds-store.js";
import type { MessageId } from "../../src/core/sds/types.js";

export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash");
  }
}

export type CrashMode = "before" | "after";

export class CrashingStore implements SdsStore {
  writes = 0;
  crashed = false;

  constructor(
    private readonly inner: SdsStore,
    private readonly crashAtWrite: number | null,
    private readonly mode: CrashMode,
  ) {}

  private alive(): void {
    if (this.crashed) throw new SimulatedCrash();
  }

  async load(channelId: string, options?: SdsLoadOptions): Promise<SdsChannelSnapshot | undefined> {
    this.alive();
    return this.inner.load(channelId, options);
  }

  async loadOutgoingContent(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    this.alive();
    return this.inner.loadOutgoingContent(channelId, messageIds);
  }

  async loadRepairBytes(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    this.alive();
    return this.inner.loadRepairBytes(channelId, messageIds);
  }

  async commit(batch: SdsWriteBatch): Promise<void> {
    this.alive();
    this.writes++;
    if (this.writes === this.crashAtWrite) {
      this.crashed = true;
      if (this.mode === "after") await this.inner.commit(batch);
      throw new SimulatedCrash();
    }
    await this.inner.commit(batch);
  }

  async listChannels(): Promise<string[]> {
    this.alive();
    return this.inner.listChannels();
  }

  async deleteChannel(channelId: string): Promise<void> {
    this.alive();
    return this.inner.deleteChannel(channelId);
  }
}

/** True for a SimulatedCrash, also when the channel wrapped it into a ReliableChannelError. */
export function isSimulatedCrash(error: unknown): boolean {
  if (error instanceof SimulatedCrash) return true;
  return error instanceof Error && error.message.includes("simulated crash");
}
