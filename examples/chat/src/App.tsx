// The example chat dApp: find the extension, ask the user to approve the site, open a channel,
// show the conversation (own messages marked), each send's delivery status and the sync state.
import { useState, type FormEvent } from "react";
import {
  CHANNEL_ID_PATTERN,
  MAX_PAYLOAD_BYTES,
  describeProgress,
  fromUnknown,
  type ChannelMessage,
  type ReliableChannelProvider,
  type RequestStatus,
  type SyncState,
} from "@reliable-channel/client";
import { useChannel, useProvider, type UseChannelOptions } from "@reliable-channel/client/react";

const query = new URLSearchParams(window.location.search);
const KEY_PATTERN = /^[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** "4001 UserRejected: ..." for any rejection (codes are the page API's error table). */
function describeError(error: unknown): string {
  const typed = fromUnknown(error);
  return `${typed.code} ${typed.name}: ${typed.message}`;
}

export function App() {
  const found = useProvider({ timeout: 2_000 });
  const [joined, setJoined] = useState<UseChannelOptions | null>(null);
  switch (found.status) {
    case "loading":
      return <p data-testid="provider">Looking for the Reliable Channel extension…</p>;
    case "not-installed":
      return <p data-testid="provider">The Reliable Channel extension is not installed in this browser.</p>;
    case "error":
      return <p data-testid="provider">Could not find the extension: {describeError(found.error)}</p>;
    case "ready":
      return (
        <main>
          <p data-testid="provider">
            {found.provider.info.name} {found.provider.info.version}
          </p>
          {joined ? <Chat provider={found.provider} options={joined} onLeave={() => setJoined(null)} /> : <Join provider={found.provider} onJoined={setJoined} />}
        </main>
      );
    default: {
      const unreachable: never = found;
      return unreachable;
    }
  }
}

function Join({ provider, onJoined }: { provider: ReliableChannelProvider; onJoined: (options: UseChannelOptions) => void }) {
  const [channelId, setChannelId] = useState(query.get("channel") ?? "example-chat");
  const [key, setKey] = useState(query.get("key") ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function join(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!CHANNEL_ID_PATTERN.test(channelId)) return setError("Channel ids are 1..128 characters of A-Z a-z 0-9 . _ ~ : @ + / -");
    if (key !== "" && !KEY_PATTERN.test(key)) return setError("The key is 64 hex characters (32 bytes), or empty for no encryption");
    setBusy(true);
    setError(null);
    try {
      await provider.connect(); // the user approves this site once
      onJoined({ channelId, ...(key ? { key } : {}) });
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={join}>
      <label>
        Channel <input data-testid="channel-id" value={channelId} onChange={(e) => setChannelId(e.target.value)} />
      </label>
      <label>
        Key (optional, 64 hex) <input data-testid="channel-key" value={key} onChange={(e) => setKey(e.target.value)} />
      </label>
      <button data-testid="join" disabled={busy}>
        Connect and open
      </button>
      {error && <p data-testid="error">{error}</p>}
    </form>
  );
}

function Chat({ provider, options, onLeave }: { provider: ReliableChannelProvider; options: UseChannelOptions; onLeave: () => void }) {
  const { phase, channel, messages, statuses, syncState, error, send } = useChannel(provider, options);
  const [text, setText] = useState("");
  const [sendError, setSendError] = useState<string | null>(null);
  const [sentTexts, setSentTexts] = useState<Record<string, string>>({});

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (text === "") return;
    if (utf8Encoder.encode(text).length > MAX_PAYLOAD_BYTES) return setSendError("Too long to send in one message");
    setSendError(null);
    try {
      const { requestId } = await send(text); // durable once this resolves; its status follows in `statuses`
      setSentTexts((texts) => ({ ...texts, [requestId]: text }));
      setText("");
    } catch (caught) {
      setSendError(describeError(caught));
    }
  }

  return (
    <section>
      <header>
        <h1>#{options.channelId}</h1>
        <p data-testid="channel-phase" data-phase={phase}>
          {phase}
          {channel && ` as ${channel.info.participantId}${channel.info.encrypted ? ", encrypted" : ""}`}
        </p>
        <SyncLine syncState={syncState} />
        <button type="button" onClick={onLeave}>
          Leave
        </button>
      </header>
      {error && <p data-testid="error">{describeError(error)}</p>}
      <ol data-testid="messages">
        {messages.map((message) => (
          <MessageItem key={message.messageId} message={message} status={message.requestId ? statuses[message.requestId] : undefined} />
        ))}
      </ol>
      <form onSubmit={submit}>
        <input data-testid="text" value={text} onChange={(e) => setText(e.target.value)} placeholder="Message" />
        <button data-testid="send" disabled={phase !== "open"}>
          Send
        </button>
      </form>
      {sendError && <p data-testid="send-error">{sendError}</p>}
      <h2>Delivery</h2>
      <ul data-testid="sends">
        {Object.values(statuses).map((status) => (
          <li key={status.requestId} data-testid="send-status" data-request-id={status.requestId} data-state={status.state}>
            {sentTexts[status.requestId] ?? `…${status.requestId.slice(-8)}`}: {describeStatus(status)}
          </li>
        ))}
      </ul>
    </section>
  );
}

function MessageItem({ message, status }: { message: ChannelMessage; status: RequestStatus | undefined }) {
  return (
    <li data-testid="message" data-own={message.fromSelf} data-state={status?.state ?? ""} className={message.fromSelf ? "own" : "theirs"}>
      <span className="who">{message.fromSelf ? "you" : message.senderId}</span>
      <span data-testid="message-text" className="text">
        {utf8.decode(message.data)}
      </span>
      {message.fromSelf && <span className="status">{status ? describeStatus(status) : "sent"}</span>}
    </li>
  );
}

function SyncLine({ syncState }: { syncState: SyncState | null }) {
  let label: string;
  if (!syncState) label = "sync state unknown";
  else if (syncState.state === "synced") label = "all synced";
  else if (syncState.state === "syncing") label = `${syncState.missing} missing, being fetched (${syncState.waiting} waiting)`;
  else label = `${syncState.irretrievable} irretrievable`;
  return (
    <p data-testid="sync" data-state={syncState?.state ?? ""}>
      {label}
    </p>
  );
}

function describeStatus(status: RequestStatus): string {
  const progress = status.progress ? ` (${describeProgress(status.progress)})` : "";
  switch (status.state) {
    case "acknowledged":
      return `acknowledged by ${status.ackedBy.length}${progress}`;
    case "failed":
      return `failed: ${status.reason}${progress}`;
    case "queued":
    case "propagated":
    case "stored":
      return `${status.state}${progress}`;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}
