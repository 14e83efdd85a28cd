/**
 * The default Waku content topic of a channel: the one home of that naming rule, used when a
 * page opens a channel without choosing a topic. Injective: distinct channel ids, distinct topics.
 */

/** Characters a channel id keeps as they are in its topic (the escape character `_` is not one). */
const TOPIC_SAFE = /[A-Za-z0-9.-]/;
/** Marks an escaped character: `_` followed by its code as two uppercase hex digits. */
const ESCAPE = "_";

/**
 * `/reliable-channel/1/<escaped channel id>/proto`, where every character outside
 * `A-Z a-z 0-9 . -` (the escape character `_` included) becomes `_` and its two-digit hex code:
 * `chat/1` -> `chat_2F1`, `chat:1` -> `chat_3A1`, `chat_1` -> `chat_5F1`; ids made only of safe
 * characters (`my-room`) keep their name. Percent-style escaping with the escape character
 * escaped is injective, and its output is made of topic characters only. Channel ids are
 * ASCII (CHANNEL_ID_PATTERN); a wider character is escaped by its UTF-16 code unit(s), `_uXXXX`,
 * so the rule stays injective for any string.
 */
export function defaultContentTopic(channelId: string): string {
  return `/reliable-channel/1/${escapeTopicName(channelId)}/proto`;
}

/** The channel id as a content topic's topic name (see `defaultContentTopic`). */
export function escapeTopicName(channelId: string): string {
  let out = "";
  for (let index = 0; index < channelId.length; index++) {
    const char = channelId[index] as string;
    if (TOPIC_SAFE.test(char)) {
      out += char;
      continue;
    }
    const code = channelId.charCodeAt(index);
    out += code <= 0xff ? `${ESCAPE}${hex(code, 2)}` : `${ESCAPE}u${hex(code, 4)}`;
  }
  return out;
}

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, "0");
}
