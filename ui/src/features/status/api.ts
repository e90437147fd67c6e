/** Which store the window shows (real or demo) and whether it is empty. */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { AppStatus, UiError } from "../../ipc/bindings";
import { call } from "../../ipc/transport";
import { EVERYTHING, applyInvalidation, type Invalidation } from "../../lib/invalidation";

export const statusKeys = {
  all: ["status"] as const,
};

/** Switching stores makes every cached answer belong to the other store. */
export const statusInvalidations = {
  enterDemo: (): Invalidation => EVERYTHING,
  exitDemo: (): Invalidation => EVERYTHING,
};

export function useAppStatus() {
  return useQuery<AppStatus, UiError>({
    queryKey: statusKeys.all,
    queryFn: () => call("app_status"),
  });
}

async function switched(client: QueryClient, status: AppStatus, inv: Invalidation) {
  client.setQueryData(statusKeys.all, status);
  // Drop the other store's lists and threads so they cannot flash on screen.
  client.removeQueries({ predicate: (q) => q.queryKey[0] !== statusKeys.all[0] });
  await applyInvalidation(client, inv);
}

export function useEnterDemo() {
  const client = useQueryClient();
  return useMutation<AppStatus, UiError>({
    mutationFn: () => call("enter_demo"),
    onSuccess: (status) => switched(client, status, statusInvalidations.enterDemo()),
  });
}

export function useExitDemo() {
  const client = useQueryClient();
  return useMutation<AppStatus, UiError>({
    mutationFn: () => call("exit_demo"),
    onSuccess: (status) => switched(client, status, statusInvalidations.exitDemo()),
  });
}
