/** One conversation's messages, newest page first, older pages by cursor. */
import { useInfiniteQuery, type InfiniteData } from "@tanstack/react-query";
import type { ThreadPage, UiError } from "../../ipc/bindings";
import { call } from "../../ipc/transport";

export const THREAD_PAGE_SIZE = 50;

export const threadKeys = {
  all: ["thread"] as const,
  detail: (conversationId: string) => [...threadKeys.all, conversationId] as const,
};

export function useThread(conversationId: string) {
  return useInfiniteQuery<ThreadPage, UiError, InfiniteData<ThreadPage>, readonly unknown[], string | null>({
    queryKey: threadKeys.detail(conversationId),
    queryFn: ({ pageParam }) => call("get_thread", { conversationId, cursor: pageParam, limit: THREAD_PAGE_SIZE }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
  });
}
