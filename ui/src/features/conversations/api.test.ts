import { QueryClient, type InfiniteData } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { ConversationPage, ConversationSummary } from "../../ipc/bindings";
import { searchKeys } from "../search/api";
import { statusKeys } from "../status/api";
import { threadKeys } from "../thread/api";
import { conversationKeys, normalizeFilter, patchConversation } from "./api";
import { viewFilter } from "./filters";

describe("query-key factory", () => {
  it("gives equal keys for equal filters, whatever their field order or omissions", () => {
    expect(conversationKeys.list({ state: "open", platform: null })).toEqual(
      conversationKeys.list({ platform: null, accountId: null, unreadOnly: false, state: "open" }),
    );
    expect(Object.keys(normalizeFilter({ state: "done" }))).toEqual(["platform", "accountId", "unreadOnly", "state"]);
  });

  it("gives different keys for different views", () => {
    const keys = [
      conversationKeys.list(viewFilter("inbox", null)),
      conversationKeys.list(viewFilter("unread", null)),
      conversationKeys.list(viewFilter("done", null)),
      conversationKeys.list(viewFilter("inbox", "whatsapp")),
    ].map((k) => JSON.stringify(k));
    expect(new Set(keys).size).toBe(4);
  });

  it("nests every list under lists() and all(), and keeps counts out of lists()", () => {
    const list = conversationKeys.list(viewFilter("unread", "instagram"));
    expect(list.slice(0, 2)).toEqual(conversationKeys.lists());
    expect(conversationKeys.counts().slice(0, 1)).toEqual(conversationKeys.all);
    expect(conversationKeys.counts().slice(0, 2)).not.toEqual(conversationKeys.lists());
  });

  it("keeps features in separate roots", () => {
    const roots = [conversationKeys.all[0], threadKeys.all[0], searchKeys.all[0], statusKeys.all[0]];
    expect(new Set(roots).size).toBe(roots.length);
    expect(threadKeys.detail("a")).not.toEqual(threadKeys.detail("b"));
    expect(searchKeys.query("  roses ")).toEqual(searchKeys.query("roses"));
  });
});

function summary(id: string, unreadCount: number): ConversationSummary {
  return {
    id,
    platform: "messenger",
    account: { id: 1, platform: "messenger", assetId: "1", name: "Shop", status: "connected" },
    contact: { id: `p-${id}`, platformUserId: "123", name: id, handle: null, phone: null, avatarUrl: null },
    preview: null,
    lastMessageAt: 1,
    unreadCount,
    markedUnread: false,
    lastInboundAt: 1,
    replyWindow: { state: "closed" },
    state: "open",
  };
}

describe("patchConversation (optimistic updates)", () => {
  it("rewrites the row in every cached list page and leaves other rows alone", () => {
    const client = new QueryClient();
    const data: InfiniteData<ConversationPage> = {
      pages: [
        { items: [summary("a", 2), summary("b", 1)], nextCursor: "x" },
        { items: [summary("c", 0)], nextCursor: null },
      ],
      pageParams: [null, "x"],
    };
    client.setQueryData(conversationKeys.list(viewFilter("inbox", null)), data);
    client.setQueryData(conversationKeys.list(viewFilter("unread", null)), data);
    patchConversation(client, "b", (c) => ({ ...c, unreadCount: 0 }));
    for (const view of ["inbox", "unread"] as const) {
      const d = client.getQueryData<InfiniteData<ConversationPage>>(conversationKeys.list(viewFilter(view, null)));
      expect(d?.pages.flatMap((p) => p.items).map((c) => [c.id, c.unreadCount])).toEqual([
        ["a", 2],
        ["b", 0],
        ["c", 0],
      ]);
    }
  });
});
