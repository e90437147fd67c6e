import { MutationCache, QueryClient } from "@tanstack/react-query";
import { toUiError } from "../ipc/transport";
import { showError } from "../ui/toast";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    mutationCache: new MutationCache({
      // Forms that show their own error inline opt out with `meta: { inlineError: true }`.
      onError: (error, _vars, _ctx, mutation) => {
        if (mutation.meta?.inlineError) return;
        showError(toUiError(error));
      },
    }),
    defaultOptions: {
      queries: {
        // `store://changed` drives freshness; refetch on focus is only the fallback
        // for a change event the window missed.
        staleTime: 15_000,
        refetchOnWindowFocus: true,
        // The store is local: a failure will not heal in a second, so say so at once.
        retry: 1,
        retryDelay: 300,
      },
    },
  });
}
