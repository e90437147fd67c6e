/**
 * What a write (ours or the engine's) makes stale, as data, so tests can check the
 * mapping without React. Keys are prefixes: TanStack Query invalidates every query
 * whose key starts with one of them.
 */
import type { QueryClient, QueryKey } from "@tanstack/react-query";

export type Invalidation = { readonly kind: "everything" } | { readonly kind: "keys"; readonly keys: readonly QueryKey[] };

export const EVERYTHING: Invalidation = { kind: "everything" };

export function keys(...list: QueryKey[]): Invalidation {
  return { kind: "keys", keys: list };
}

export async function applyInvalidation(client: QueryClient, inv: Invalidation): Promise<void> {
  if (inv.kind === "everything") {
    await client.invalidateQueries();
    return;
  }
  await Promise.all(inv.keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}
