import { QueryClient, type QueryKey } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { conversationInvalidations, conversationKeys } from "../features/conversations/api";
import { viewFilter } from "../features/conversations/filters";
import { searchKeys } from "../features/search/api";
import { statusInvalidations, statusKeys } from "../features/status/api";
import { threadKeys } from "../features/thread/api";
import type { StoreChanged } from "../ipc/bindings";
import { applyInvalidation, type Invalidation } from "../lib/invalidation";
import { invalidationForChange } from "./changes";

/** A cache holding one of every kind of query the window makes. */
function seededClient() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const seeded: Record<string, QueryKey> = {
    status: statusKeys.all,
    counts: conversationKeys.counts(),
    inbox: conversationKeys.list(viewFilter("inbox", null)),
    unreadWhatsapp: conversationKeys.list(viewFilter("unread", "whatsapp")),
    threadA: threadKeys.detail("conv-a"),
    threadB: threadKeys.detail("conv-b"),
    search: searchKeys.query("roses"),
  };
  for (const key of Object.values(seeded)) client.setQueryData(key, { seeded: true });
  return { client, seeded };
}

async function invalidatedBy(inv: Invalidation): Promise<string[]> {
  const { client, seeded } = seededClient();
  await applyInvalidation(client, inv);
  return Object.entries(seeded)
    .filter(([, key]) => client.getQueryState(key)?.isInvalidated)
    .map(([name]) => name)
    .sort();
}

describe("store://changed → cache invalidation", () => {
  it("a bulk change (import, store switch) invalidates everything", async () => {
    const change: StoreChanged = { conversationIds: [], everything: true };
    expect(invalidationForChange(change)).toEqual({ kind: "everything" });
    expect(await invalidatedBy(invalidationForChange(change))).toEqual(["counts", "inbox", "search", "status", "threadA", "threadB", "unreadWhatsapp"]);
  });

  it("a new message invalidates lists, counts, search and that conversation's thread only", async () => {
    const change: StoreChanged = { conversationIds: ["conv-a"], everything: false };
    expect(await invalidatedBy(invalidationForChange(change))).toEqual(["counts", "inbox", "search", "status", "threadA", "unreadWhatsapp"]);
  });

  it("several conversations invalidate each of their threads, once", () => {
    const inv = invalidationForChange({ conversationIds: ["conv-a", "conv-b", "conv-a"], everything: false });
    expect(inv.kind).toBe("keys");
    if (inv.kind !== "keys") return;
    const threads = inv.keys.filter((k) => k[0] === threadKeys.all[0]);
    expect(threads).toEqual([threadKeys.detail("conv-a"), threadKeys.detail("conv-b")]);
  });

  it("an empty change invalidates nothing", async () => {
    expect(await invalidatedBy(invalidationForChange({ conversationIds: [], everything: false }))).toEqual([]);
  });
});

describe("mutations say what they invalidate", () => {
  it("mark read / unread / done touch lists, counts, search and their own thread", async () => {
    for (const inv of [
      conversationInvalidations.markRead("conv-b"),
      conversationInvalidations.markUnread("conv-b"),
      conversationInvalidations.setState("conv-b"),
    ]) {
      expect(await invalidatedBy(inv)).toEqual(["counts", "inbox", "search", "threadB", "unreadWhatsapp"]);
    }
  });

  it("entering or leaving the demo invalidates everything", () => {
    expect(statusInvalidations.enterDemo()).toEqual({ kind: "everything" });
    expect(statusInvalidations.exitDemo()).toEqual({ kind: "everything" });
  });
});
