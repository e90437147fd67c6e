import type { InfiniteData } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { ThreadMessage, ThreadPage } from "../../ipc/bindings";
import { MINUTE } from "../../lib/time";
import { chronological, layoutThread } from "./layout";

const T0 = new Date(2025, 5, 10, 9, 0).getTime();

function m(id: string, direction: "inbound" | "outbound", sentAt: number, extra: Partial<ThreadMessage> = {}): ThreadMessage {
  return {
    id,
    mid: `mid.${id}`,
    direction,
    kind: "text",
    text: id,
    edited: false,
    deleted: false,
    sentAt,
    status: direction === "outbound" ? "read" : null,
    failure: null,
    attachments: [],
    reactions: [],
    quoted: null,
    extras: { location: null, payload: null, buttonTitle: null, referral: null, error: null, appId: null, sendMetadata: null, newWaId: null },
    ...extra,
  };
}

describe("chronological", () => {
  it("turns newest-first pages into oldest-first messages, dropping repeats across pages", () => {
    const a = m("a", "inbound", T0);
    const b = m("b", "outbound", T0 + MINUTE);
    const c = m("c", "inbound", T0 + 2 * MINUTE);
    const d = m("d", "inbound", T0 + 3 * MINUTE);
    const conversation = {} as ThreadPage["conversation"];
    const data: InfiniteData<ThreadPage> = {
      pages: [
        { conversation, messages: [d, c], nextCursor: "p2" },
        { conversation, messages: [c, b, a], nextCursor: null },
      ],
      pageParams: [null, "p2"],
    };
    expect(chronological(data).map((x) => x.id)).toEqual(["a", "b", "c", "d"]);
    expect(chronological(undefined)).toEqual([]);
  });
});

describe("layoutThread", () => {
  it("puts a day separator before the first message of each day", () => {
    const items = layoutThread([m("a", "inbound", T0), m("b", "inbound", T0 + 30 * MINUTE), m("c", "inbound", T0 + 24 * 60 * MINUTE)]);
    expect(items.map((i) => i.type)).toEqual(["day", "message", "message", "day", "message"]);
  });

  it("groups a run from one side within five minutes and shows the time once at its end", () => {
    const items = layoutThread([
      m("a", "inbound", T0),
      m("b", "inbound", T0 + MINUTE),
      m("c", "inbound", T0 + 2 * MINUTE),
      m("d", "outbound", T0 + 3 * MINUTE),
      m("e", "outbound", T0 + 20 * MINUTE),
    ]).filter((i) => i.type === "message");
    expect(items.map((i) => (i.type === "message" ? [i.key, i.position, i.showMeta] : null))).toEqual([
      ["a", "first", false],
      ["b", "middle", false],
      ["c", "last", true],
      ["d", "single", true],
      ["e", "single", true],
    ]);
  });

  it("always shows the meta line of a failed or edited message, and breaks runs at system notices", () => {
    const items = layoutThread([
      m("a", "outbound", T0, { status: "failed", failure: { code: 131047, reason: "x" } }),
      m("b", "outbound", T0 + MINUTE, { edited: true }),
      m("c", "outbound", T0 + 2 * MINUTE),
      m("s", "inbound", T0 + 3 * MINUTE, { kind: "system" }),
      m("d", "outbound", T0 + 4 * MINUTE),
    ]).filter((i) => i.type === "message");
    expect(items.map((i) => (i.type === "message" ? [i.key, i.position, i.showMeta] : null))).toEqual([
      ["a", "first", true],
      ["b", "middle", true],
      ["c", "last", true],
      ["s", "single", true],
      ["d", "single", true],
    ]);
  });
});
