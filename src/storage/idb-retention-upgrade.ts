/**
 * The version-4 upgrade's data step: mark which existing requests settled and which carrier
 * marks still matter, then sweep every channel by the retention rules, losing nothing undelivered.
 *
 * Safety: a request is marked settled only if every part failed or its SDS outgoing record is
 * gone or final (so no resend will look it up); inbox entries whose SDS hand-off is still
 * pending, and the newest entry of each channel, are never removed; a carrier mark stays (dated
 * now) while its message is buffered or in the hand-off queue, the only places SDS delivers from
 * later, and goes otherwise (a resend of the message marks it again).
 */
import type { IDBPTransaction } from "idb";
import { requestSettled, DEFAULT_INBOX_RETENTION } from "../core/channel/retention.js";
import { SEGMENT_CARRIER_RETENTION_MS, SETTLED_REQUEST_RETENTION } from "../shared/limits.js";
import { sweepChannel } from "./idb-retention.js";
import { channelRange, type ReliableChannelDB, type ReliableChannelStoreName } from "./idb-schema.js";

type UpgradeTx = IDBPTransaction<ReliableChannelDB, ReliableChannelStoreName[], "versionchange">;

/** Runs inside the upgrade transaction; a failure aborts the whole upgrade (nothing half-done). */
export function pruneForRetention(tx: UpgradeTx, now: () => number): void {
  void prune(tx, now).catch(() => {
    // A failed request already aborts the version change; the open then rejects.
    try {
      tx.abort();
    } catch {
      // already aborted
    }
  });
}

async function prune(tx: UpgradeTx, clock: () => number): Promise<void> {
  const configs = await tx.objectStore("channels").getAll();
  if (configs.length === 0) return;
  const now = clock();
  for (const config of configs) {
    const channelId = config.channelId;
    const range = channelRange(channelId);
    const handOff = await tx.objectStore("sdsInbox").getAll(range);
    const buffered = await tx.objectStore("sdsBuffered").getAllKeys(range);
    const stillDelivering = new Set([...handOff.map((record) => record.messageId), ...buffered.map((key) => key[1])]);
    const outgoing = new Map((await tx.objectStore("sdsOutgoing").getAll(range)).map((record) => [record.messageId, record.state]));

    const outbox = tx.objectStore("outbox");
    for (let cursor = await outbox.index("byCreatedAt").openCursor(range); cursor; cursor = await cursor.continue()) {
      const request = cursor.value;
      if (request.settledAtMs !== undefined) continue;
      for (const part of request.parts) {
        const state = part.messageId === undefined ? undefined : outgoing.get(part.messageId);
        if (!request.ephemeral && state !== "pending") part.sdsFinal = true;
      }
      if (!requestSettled(request)) continue;
      request.settledAtMs = request.updatedAtMs;
      await cursor.update(request);
    }

    const carriers = tx.objectStore("segmentCarriers");
    for (let cursor = await carriers.openCursor(range); cursor; cursor = await cursor.continue()) {
      if (stillDelivering.has(cursor.value.messageId)) await cursor.update({ ...cursor.value, addedAtMs: cursor.value.addedAtMs ?? now });
      else await cursor.delete();
    }

    const inbox = tx.objectStore("inbox");
    const last = await inbox.openKeyCursor(range, "prev");
    if (!last) continue;
    const lastCursor = last.key[1];
    let maxCursor = lastCursor - 1;
    for (const messageId of handOff.map((record) => record.messageId)) {
      const key = await inbox.index("byKey").getKey([channelId, messageId]);
      if (key !== undefined) maxCursor = Math.min(maxCursor, key[1] - 1);
    }
    const retention = config.retention ?? DEFAULT_INBOX_RETENTION;
    await sweepChannel(tx, {
      channelId,
      inboxThroughCursor: lastCursor - retention.maxMessages,
      inboxReceivedBeforeMs: now - retention.maxAgeMs,
      inboxMaxCursor: maxCursor,
      requestsSettledBeforeMs: now - SETTLED_REQUEST_RETENTION.maxAgeMs,
      keepSettledRequests: SETTLED_REQUEST_RETENTION.maxPerChannel,
      carriersAddedBeforeMs: now - SEGMENT_CARRIER_RETENTION_MS,
    });
  }
}
