/**
 * PendingWorkIndex port: which channels have durable work that must resume at start, read without
 * loading any channel's state. The channel manager opens only those at start; others on first use.
 *
 * A channel has pending work when SDS holds, for it, an unacknowledged outgoing message (resends),
 * a buffered message or a missing dependency (retrieval), a hand-off not yet in the inbox, or an
 * acknowledgement owed (a sync due); or when its newest outbox request is not prepared yet (a channel prepares its requests one at a time
 * in acceptance order, so requests cut off by a crash are always the newest ones). Rate-limiter
 * entries and delivery tasks need no entry here: the manager opens their channel when they fire.
 */
export interface PendingWorkIndex {
  channelsWithPendingWork(): Promise<string[]>;
}
