/**
 * What the publish round and the store check need from the service that owns the tasks: the
 * time, a durable save, the final failure of tasks, announcing an event, forgetting a settled task.
 */
import type { Transport } from "../ports/transport.js";
import type { DeliveryOptions } from "./options.js";
import type { DeliveryEvent, DeliveryFailureReason, DeliveryTask } from "./types.js";

export interface TaskEndings {
  now(): number;
  /** Save tasks durably (before anything about them is announced). */
  persist(tasks: DeliveryTask[]): Promise<void>;
  /** Mark tasks failed, save them, forget them, announce `failed`. */
  fail(tasks: DeliveryTask[], reason: DeliveryFailureReason, detail: string): Promise<void>;
  /** A settled task leaves memory (the store keeps it). */
  forget(task: DeliveryTask): void;
  emit(event: DeliveryEvent): void;
  reportError(error: unknown): void;
}

export interface TaskWorkDeps {
  readonly transport: Pick<Transport, "availability" | "publish" | "queryStore">;
  readonly options: DeliveryOptions;
  /** Uniform [0, 1) for jitter. */
  readonly random: () => number;
  readonly endings: TaskEndings;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
