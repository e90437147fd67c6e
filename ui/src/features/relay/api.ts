/** The relay link: its live status, and pairing this computer with a relay. */
import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { LinkStatus, PairRelayRequest, RelayStatus, UiError } from "../../ipc/bindings";
import { call, onRelayStatus } from "../../ipc/transport";

export const relayKeys = {
  status: ["relay", "status"] as const,
};

/** The status, kept current by the shell's `relay://status` events. */
export function useRelayStatus() {
  const client = useQueryClient();
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    void onRelayStatus((status) => client.setQueryData(relayKeys.status, status)).then((u) => {
      if (cancelled) u();
      else unlisten = u;
    });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [client]);
  return useQuery<RelayStatus, UiError>({
    queryKey: relayKeys.status,
    queryFn: () => call("relay_status"),
  });
}

export function usePairRelay() {
  const client = useQueryClient();
  return useMutation<RelayStatus, UiError, PairRelayRequest>({
    mutationFn: (request) => call("pair_relay", request),
    // The dialog shows the refusal next to the code field.
    meta: { inlineError: true },
    onSuccess: (status) => client.setQueryData(relayKeys.status, status),
  });
}

export type LinkTone = "ok" | "busy" | "warn" | "off";

/** How a link state reads in the window: a short label, a longer line, a tone. */
export function describeLink(link: LinkStatus): { label: string; detail: string; tone: LinkTone } {
  switch (link.state) {
    case "notPaired":
      return { label: "Relay not paired", detail: "Pair this computer with your relay to receive messages.", tone: "off" };
    case "connecting":
      return { label: "Connecting…", detail: `Connecting to ${host(link.relay)}.`, tone: "busy" };
    case "syncing":
      return {
        label: link.pending > 0 ? `Syncing ${link.pending.toLocaleString()}…` : "Syncing…",
        detail: `Receiving messages that arrived while this computer was away.`,
        tone: "busy",
      };
    case "live":
      return { label: "Live", detail: `Connected to ${host(link.relay)}. New messages arrive instantly.`, tone: "ok" };
    case "offline": {
      const secs = Math.max(1, Math.round(link.retryInMs / 1000));
      return {
        label: "Offline",
        detail: `Cannot reach ${host(link.relay)} (${link.error}). Retrying in ${secs} s. Messages wait on the relay meanwhile.`,
        tone: "warn",
      };
    }
    case "needsAttention":
      return { label: "Needs attention", detail: link.error, tone: "warn" };
  }
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
