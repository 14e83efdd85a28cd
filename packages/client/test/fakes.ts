// Test doubles of the page API for the client package's tests: a provider whose methods the test
// answers, and channel handles that record listeners and let the test emit events.
import type {
  ChannelEvents,
  ChannelHandle,
  ChannelInfo,
  ChannelMessage,
  Listener,
  MessagesPage,
  MessagesQuery,
  MethodMap,
  MethodName,
  OpenChannelOptions,
  Payload,
  ReliableChannelProvider,
  RequestArguments,
  SendOptions,
  SendResult,
  SyncState,
} from "../src/api.js";

type Answer<M extends MethodName> = (params: MethodMap[M]["params"]) => Promise<MethodMap[M]["result"]>;

export class FakeChannel implements ChannelHandle {
  readonly info: ChannelInfo;
  readonly listeners = new Map<keyof ChannelEvents, Set<Listener<never>>>();
  closed = 0;
  /** Messages `messages()` pages through, oldest first. */
  history: ChannelMessage[] = [];
  sync: SyncState;
  sendImpl: (data: Payload, options?: SendOptions) => Promise<SendResult> = async () => ({ requestId: `r${++this.sent}` });
  sent = 0;
  /** Resolve these to let `messages()`/`syncState()` answer (they wait while `hold` is set). */
  hold: Promise<void> | null = null;

  constructor(options: OpenChannelOptions) {
    this.info = {
      channelId: options.channelId,
      contentTopic: `/test/1/${options.channelId}/proto`,
      participantId: options.participantId ?? "me",
      encrypted: options.key !== undefined,
      cursor: null,
      retention: { maxMessages: 1_000, maxAgeMs: 60_000 },
      wire: options.wire ?? "js",
    };
    this.sync = { channelId: options.channelId, state: "synced", missing: 0, waiting: 0, irretrievable: 0, missingIds: [], irretrievableIds: [] };
  }

  send(data: Payload, options?: SendOptions): Promise<SendResult> {
    return this.sendImpl(data, options);
  }
  async status(): Promise<never> {
    throw new Error("not used");
  }
  async messages(query: MessagesQuery = {}): Promise<MessagesPage> {
    if (this.hold) await this.hold;
    const start = query.since ? this.history.findIndex((m) => m.cursor === query.since) + 1 : 0;
    const messages = this.history.slice(start, start + (query.limit ?? 100));
    return { messages, cursor: messages.at(-1)?.cursor ?? query.since ?? null, dropped: false, firstCursor: this.history[0]?.cursor ?? null };
  }
  async syncState(): Promise<SyncState> {
    if (this.hold) await this.hold;
    return this.sync;
  }
  on<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return this;
  }
  removeListener<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): this {
    this.listeners.get(event)?.delete(listener as Listener<never>);
    return this;
  }
  emit<E extends keyof ChannelEvents>(event: E, payload: ChannelEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as Listener<ChannelEvents[E]>)(payload);
  }
  listenerCount(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
  async close(): Promise<void> {
    this.closed += 1;
  }
}

export function message(channelId: string, n: number, extra: Partial<ChannelMessage> = {}): ChannelMessage {
  return { channelId, messageId: `m${n}`, cursor: `c${n}`, data: new TextEncoder().encode(`text ${n}`), senderId: "them", fromSelf: false, timestamp: n, ...extra };
}

export function fakeProvider() {
  const answers = new Map<MethodName, (params: unknown) => Promise<unknown>>();
  const opened: FakeChannel[] = [];
  /** When set, `openChannel` waits for it (to order opens and closes in tests). */
  let gate: Promise<void> | null = null;
  let openError: unknown = null;
  let prepare: (channel: FakeChannel) => void = () => undefined;
  const provider: ReliableChannelProvider = {
    isReliableChannel: true,
    info: { uuid: "u1", name: "Reliable Channel", rdns: "org.reliable-channel", version: "0.1.0" },
    isConnected: () => true,
    request: (<M extends MethodName>(args: RequestArguments<M>) => {
      const answer = answers.get(args.method);
      if (!answer) return Promise.reject(new Error(`no answer for ${args.method}`));
      return answer(args.params) as Promise<MethodMap[M]["result"]>;
    }) as ReliableChannelProvider["request"],
    on: () => provider,
    removeListener: () => provider,
    connect: async () => ({ origin: "https://a.test" }),
    openChannel: async (options) => {
      if (gate) await gate;
      if (openError) throw openError;
      const channel = new FakeChannel(options);
      prepare(channel);
      opened.push(channel);
      return channel;
    },
  };
  return {
    provider,
    opened,
    answer<M extends MethodName>(method: M, fn: Answer<M>): void {
      answers.set(method, fn as (params: unknown) => Promise<unknown>);
    },
    setGate(next: Promise<void> | null): void {
      gate = next;
    },
    /** Runs on every channel as it is opened (e.g. to fill its history). */
    prepareChannels(fn: (channel: FakeChannel) => void): void {
      prepare = fn;
    },
    failOpens(error: unknown): void {
      openError = error;
    },
  };
}
