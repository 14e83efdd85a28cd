/**
 * Which delivery methods to try, in order, given what the transport can reach now.
 *
 * Preference (logos-delivery's Send API): relay + store check -> relay + retry ->
 * lightpush + store check -> lightpush + retry -> no route. Relay comes first because a healthy
 * mesh needs no service node; lightpush is the fallback (and the only method of a light node).
 * "+ store check" vs "+ retry" is decided by whether a store node is reachable.
 */
import type { Availability, DeliveryMethod } from "../ports/transport.js";

export interface MethodPlan {
  /** Methods to try in this round, best first; empty means no route. */
  methods: DeliveryMethod[];
  /** A store node can confirm the message after it propagated. */
  storeCheck: boolean;
}

export function planMethods(availability: Availability): MethodPlan {
  const methods: DeliveryMethod[] = [];
  if (availability.relay) methods.push("relay");
  if (availability.lightpush) methods.push("lightpush");
  return { methods, storeCheck: availability.store };
}
