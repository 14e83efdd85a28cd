// The default content topic of a channel id: injective over every valid channel id, always a
// valid Waku content topic, and unchanged for ids made only of topic-safe characters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultContentTopic } from "../../src/background/content-topic.js";
import { CHANNEL_ID_PATTERN, CONTENT_TOPIC_PATTERN } from "../../src/shared/limits.js";

const ID_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@+/-"];
/** Channel ids as the worker accepts them, biased to the characters that used to collide. */
const channelId = fc
  .array(fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...ID_CHARS) }, { weight: 3, arbitrary: fc.constantFrom("_", "/", ":", "~", "@", "+", "5", "F", "2") }), {
    minLength: 1,
    maxLength: 128,
  })
  .map((chars) => chars.join(""));

describe("defaultContentTopic", () => {
  it("gives distinct topics to distinct channel ids (the ids of issue 15 included)", () => {
    const ids = ["chat/1", "chat:1", "chat_1", "chat_2F1", "chat~1", "chat@1", "chat+1", "chat-1", "chat.1"];
    const topics = ids.map(defaultContentTopic);
    expect(new Set(topics).size).toBe(ids.length);
    expect(defaultContentTopic("chat/1")).toBe("/reliable-channel/1/chat_2F1/proto");
    expect(defaultContentTopic("chat:1")).toBe("/reliable-channel/1/chat_3A1/proto");
    expect(defaultContentTopic("chat_1")).toBe("/reliable-channel/1/chat_5F1/proto");
  });

  it("keeps ids made of A-Z a-z 0-9 . - as they are (existing channels, @waku/sdk peers told the topic)", () => {
    expect(defaultContentTopic("room")).toBe("/reliable-channel/1/room/proto");
    expect(defaultContentTopic("my-room.v2")).toBe("/reliable-channel/1/my-room.v2/proto");
  });

  it("property: distinct valid channel ids map to distinct topics, each a valid Waku content topic", () => {
    fc.assert(
      fc.property(channelId, channelId, (a, b) => {
        expect(CHANNEL_ID_PATTERN.test(a) && CHANNEL_ID_PATTERN.test(b)).toBe(true);
        const [ta, tb] = [defaultContentTopic(a), defaultContentTopic(b)];
        expect(CONTENT_TOPIC_PATTERN.test(ta)).toBe(true);
        expect(CONTENT_TOPIC_PATTERN.test(tb)).toBe(true);
        expect(ta === tb).toBe(a === b);
      }),
      { numRuns: 2_000 },
    );
  });

  it("property: a batch of generated ids gives as many topics as ids (no collision anywhere in it)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(channelId, { minLength: 2, maxLength: 300 }), (ids) => {
        expect(new Set(ids.map(defaultContentTopic)).size).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });

  it("property: injective on any string, non-ASCII included (escaped by UTF-16 code unit)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), (a, b) => {
        const [ta, tb] = [defaultContentTopic(a), defaultContentTopic(b)];
        expect(CONTENT_TOPIC_PATTERN.test(ta)).toBe(true);
        expect(ta === tb).toBe(a === b);
      }),
      { numRuns: 2_000 },
    );
  });
});
