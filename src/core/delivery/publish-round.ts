/**
 * One publish round of a task: try every available method (relay, then lightpush) until a peer
 * takes the message; a final refusal fails it, anything else costs an attempt and backs off.
 */
import type { DeliveryMethod, PublishResult, Transport } from "../ports/transport.js";
import { backoffDelayMs } from "./backoff.js";
import { planMethods } from "./method.js";
import { errorText, type TaskWorkDeps } from "./task-endings.js";
import { markNoRoute, markPropagated, markRoundFailed } from "./task.js";
import type { DeliveryTask, StampedMessage } from "./types.js";

/** A first publish started before its task was durable (see `DeliveryService.startEarlyPublish`). */
export interface EarlyPublish {
  method: DeliveryMethod;
  result: Promise<PublishResult>;
}

export async function publishOnce(transport: Pick<Transport, "publish">, message: StampedMessage, method: "relay" | "lightpush"): Promise<PublishResult> {
  try {
    return await transport.publish(message, method);
  } catch (error) {
    // The port promises typed results; an adapter that throws anyway is treated as a network
    // failure (retried) and the error text is kept on the task.
    return { ok: false, method, reason: "network", detail: errorText(error), messageHash: "" };
  }
}

export async function publishRound(deps: TaskWorkDeps, task: DeliveryTask, early?: EarlyPublish): Promise<void> {
  const { transport, options, random, endings } = deps;
  // Relay health is per pubsub topic: ask about this message's route.
  const plan = planMethods(transport.availability(task.message.contentTopic));
  const errors: string[] = [];
  // A publish started early counts as this round's first try; the round goes on from there.
  const methods = early ? [early.method, ...plan.methods.filter((m) => m !== early.method)] : plan.methods;
  for (const method of methods) {
    const result = early?.method === method ? await early.result : await publishOnce(transport, task.message, method);
    if (result.messageHash && result.messageHash !== task.messageHash) {
      // hashMessage and the transport disagree: store checks by hash could never succeed.
      endings.reportError(new Error(`transport hashed ${task.messageHash} as ${result.messageHash}`));
    }
    if (result.ok) {
      await onPropagated(deps, task, result, transport.availability().store);
      return;
    }
    switch (result.reason) {
      case "too_large":
      case "invalid":
        await endings.fail([task], result.reason, `${method}: ${result.detail}`);
        return;
      case "no_peers":
      case "rate_limited":
      case "timeout":
      case "network":
        errors.push(`${method}: ${result.reason} (${result.detail})`);
        break;
      default: {
        const unreachable: never = result.reason;
        errors.push(`${method}: unknown failure ${String(unreachable)}`);
      }
    }
  }
  const now = endings.now();
  if (methods.length === 0) {
    // No route is not an attempt: the network is down, nothing was tried. TTL bounds it, and
    // an availability change wakes the task at once.
    markNoRoute(task, now + backoffDelayMs(Math.max(1, task.attempts), options.backoff, random));
    await endings.persist([task]);
    return;
  }
  markRoundFailed(task, errors);
  if (task.attempts >= options.maxAttempts) {
    await endings.fail([task], "max_attempts", `${task.attempts} rounds failed; last: ${task.lastError}`);
    return;
  }
  task.nextActionAtMs = now + backoffDelayMs(task.attempts, options.backoff, random);
  await endings.persist([task]);
}

async function onPropagated(deps: TaskWorkDeps, task: DeliveryTask, result: Extract<PublishResult, { ok: true }>, storeCheck: boolean): Promise<void> {
  const { options, random, endings } = deps;
  const now = endings.now();
  const checkAtMs = storeCheck
    ? now + Math.max(options.storeCheckDelayMs, task.storeMisses > 0 ? backoffDelayMs(task.storeMisses, options.backoff, random) : 0)
    : undefined;
  const previousMethod = task.method;
  const first = markPropagated(task, result.method, now, checkAtMs);
  await endings.persist([task]);
  // Again when a republish went another way (relay lost its mesh, lightpush took it): the status
  // says which path carried the message.
  if (first || previousMethod !== result.method) {
    endings.emit({
      type: "propagated",
      messageHash: task.messageHash,
      method: result.method,
      peers: result.peers,
      willCheckStore: storeCheck,
      ...(task.tag !== undefined ? { tag: task.tag } : {}),
    });
  }
}
