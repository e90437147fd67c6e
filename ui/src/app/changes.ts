/**
 * The one place the window reacts to `store://changed`: it maps the engine's committed
 * change to the cached queries it makes stale. The mapping is a pure function, tested
 * with real-shaped payloads; the hook only wires it to the event.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { conversationKeys } from "../features/conversations/api";
import { reportKeys } from "../features/reports/api";
import { searchKeys } from "../features/search/api";
import { statusKeys } from "../features/status/api";
import { threadKeys } from "../features/thread/api";
import type { StoreChanged } from "../ipc/bindings";
import { onStoreChanged } from "../ipc/transport";
import { EVERYTHING, applyInvalidation, keys, type Invalidation } from "../lib/invalidation";

export function invalidationForChange(change: StoreChanged): Invalidation {
  if (change.everything) return EVERYTHING;
  const ids = [...new Set(change.conversationIds)];
  if (ids.length === 0) return keys();
  return keys(
    conversationKeys.lists(),
    conversationKeys.counts(),
    searchKeys.all,
    // The first message into an empty store turns the first-run screen into the inbox.
    statusKeys.all,
    // Reports and the live counters count what just arrived.
    reportKeys.all,
    ...ids.map((id) => threadKeys.detail(id)),
  );
}

export function useStoreChanges(): void {
  const client = useQueryClient();
  useEffect(() => {
    let unlisten: (() => void) | null = null;
    let cancelled = false;
    void onStoreChanged((change) => {
      void applyInvalidation(client, invalidationForChange(change));
    }).then((u) => {
      // The component may have unmounted while `listen` was in flight.
      if (cancelled) u();
      else unlisten = u;
    });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [client]);
}
