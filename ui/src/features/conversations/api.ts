/**
 * The conversation list, the sidebar counts, and the writes that change them. Each
 * mutation names what it makes stale in `conversationInvalidations` (tested), and
 * patches the cached rows first so the badge changes the instant you click.
 */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import type { ConversationFilter, ConversationPage, ConversationState, ConversationSummary, Counts, UiError } from "../../ipc/bindings";
import { call } from "../../ipc/transport";
import { applyInvalidation, keys, type Invalidation } from "../../lib/invalidation";
import { searchKeys } from "../search/api";
import { threadKeys } from "../thread/api";

export const CONVERSATION_PAGE_SIZE = 50;

/** Field order fixed so equal filters give equal keys whatever built them. */
export function normalizeFilter(f: Partial<ConversationFilter>): ConversationFilter {
  return {
    platform: f.platform ?? null,
    accountId: f.accountId ?? null,
    unreadOnly: f.unreadOnly ?? false,
    state: f.state ?? null,
  };
}

export const conversationKeys = {
  all: ["conversations"] as const,
  lists: () => [...conversationKeys.all, "list"] as const,
  list: (filter: Partial<ConversationFilter>) => [...conversationKeys.lists(), normalizeFilter(filter)] as const,
  counts: () => [...conversationKeys.all, "counts"] as const,
};

/** What each write makes stale. Search results show previews and unread state too. */
export const conversationInvalidations = {
  markRead: (id: string): Invalidation => keys(conversationKeys.lists(), conversationKeys.counts(), threadKeys.detail(id), searchKeys.all),
  markUnread: (id: string): Invalidation => keys(conversationKeys.lists(), conversationKeys.counts(), threadKeys.detail(id), searchKeys.all),
  setState: (id: string): Invalidation => keys(conversationKeys.lists(), conversationKeys.counts(), threadKeys.detail(id), searchKeys.all),
};

export function useConversations(filter: Partial<ConversationFilter>) {
  const normalized = normalizeFilter(filter);
  return useInfiniteQuery<ConversationPage, UiError, InfiniteData<ConversationPage>, readonly unknown[], string | null>({
    queryKey: conversationKeys.list(normalized),
    queryFn: ({ pageParam }) => call("list_conversations", { filter: normalized, cursor: pageParam, limit: CONVERSATION_PAGE_SIZE }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
    // Switching views keeps the old rows until the new ones arrive: no skeleton flash.
    placeholderData: keepPreviousData,
  });
}

export function useCounts() {
  return useQuery<Counts, UiError>({
    queryKey: conversationKeys.counts(),
    queryFn: () => call("get_counts"),
  });
}

/** Rewrites one conversation in every cached list page (optimistic update). */
export function patchConversation(client: QueryClient, id: string, patch: (c: ConversationSummary) => ConversationSummary): void {
  client.setQueriesData<InfiniteData<ConversationPage>>({ queryKey: conversationKeys.lists() }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((c) => (c.id === id ? patch(c) : c)),
          })),
        }
      : data,
  );
}

/** Done leaves the inbox at once (and reopened leaves Done), before the refetch confirms it. */
function dropFromOtherStates(client: QueryClient, id: string, state: ConversationState): void {
  for (const [key, data] of client.getQueriesData<InfiniteData<ConversationPage>>({ queryKey: conversationKeys.lists() })) {
    const filter = key[2] as ConversationFilter | undefined;
    if (!data || !filter?.state || filter.state === state) continue;
    client.setQueryData<InfiniteData<ConversationPage>>(key, {
      ...data,
      pages: data.pages.map((p) => ({ ...p, items: p.items.filter((c) => c.id !== id) })),
    });
  }
}

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation<void, UiError, string>({
    mutationFn: (conversationId) => call("mark_read", { conversationId }),
    onMutate: (id) => patchConversation(client, id, (c) => ({ ...c, unreadCount: 0, markedUnread: false })),
    onSettled: (_data, _error, id) => applyInvalidation(client, conversationInvalidations.markRead(id)),
  });
}

export function useMarkUnread() {
  const client = useQueryClient();
  return useMutation<void, UiError, string>({
    mutationFn: (conversationId) => call("mark_unread", { conversationId }),
    onMutate: (id) => patchConversation(client, id, (c) => ({ ...c, markedUnread: true })),
    onSettled: (_data, _error, id) => applyInvalidation(client, conversationInvalidations.markUnread(id)),
  });
}

export function useSetState() {
  const client = useQueryClient();
  return useMutation<void, UiError, { conversationId: string; state: ConversationState }>({
    mutationFn: (request) => call("set_conversation_state", request),
    onMutate: ({ conversationId, state }) => {
      patchConversation(client, conversationId, (c) => ({ ...c, state }));
      dropFromOtherStates(client, conversationId, state);
    },
    onSettled: (_data, _error, { conversationId }) => applyInvalidation(client, conversationInvalidations.setState(conversationId)),
  });
}
