/** Full-text search over contacts and messages, debounced while the owner types. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { SearchResults, UiError } from "../../ipc/bindings";
import { call } from "../../ipc/transport";

export const SEARCH_DEBOUNCE_MS = 150;
export const SEARCH_LIMIT = 50;

export const searchKeys = {
  all: ["search"] as const,
  query: (query: string) => [...searchKeys.all, query.trim()] as const,
};

export function useDebouncedValue<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

export function useSearch(query: string) {
  const trimmed = query.trim();
  const debounced = useDebouncedValue(trimmed, SEARCH_DEBOUNCE_MS);
  const result = useQuery<SearchResults, UiError>({
    queryKey: searchKeys.query(debounced),
    queryFn: () => call("search", { query: debounced, limit: SEARCH_LIMIT }),
    enabled: debounced.length > 0,
    // Keep the previous results on screen while the next keystroke's arrive.
    placeholderData: keepPreviousData,
  });
  return { ...result, settling: debounced !== trimmed || result.isPlaceholderData };
}
