/** Connected accounts: list, connect (WhatsApp by token, Pages by Facebook Login), disconnect. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  AccountView,
  ConnectPagesRequest,
  ConnectWhatsappRequest,
  DisconnectRequest,
  DisconnectResult,
  FacebookLogin,
  FacebookLoginStatus,
  InstagramLoginStatus,
  UiError,
} from "../../ipc/bindings";
import { call } from "../../ipc/transport";
import { EVERYTHING, applyInvalidation, keys, type Invalidation } from "../../lib/invalidation";

export const accountKeys = {
  all: ["accounts"] as const,
  login: (state: string) => ["accounts", "facebook-login", state] as const,
};

/** What each mutation makes stale (checked by a test). */
export const accountInvalidations = {
  connect: (): Invalidation => keys(accountKeys.all),
  /** Deleting an account's history changes every list and count. */
  disconnect: (deleteData: boolean): Invalidation => (deleteData ? EVERYTHING : keys(accountKeys.all)),
};

export function useAccounts() {
  return useQuery<AccountView[], UiError>({
    queryKey: accountKeys.all,
    queryFn: () => call("list_accounts"),
    // While history loads, its count moves: look again every second.
    refetchInterval: (query) => (query.state.data?.some((a) => a.history?.running) ? 1000 : false),
  });
}

export function useConnectWhatsapp() {
  const client = useQueryClient();
  return useMutation<AccountView, UiError, ConnectWhatsappRequest>({
    mutationFn: (request) => call("connect_whatsapp", request),
    meta: { inlineError: true },
    onSuccess: () => applyInvalidation(client, accountInvalidations.connect()),
  });
}

export function useBeginFacebookLogin() {
  return useMutation<FacebookLogin, UiError>({
    mutationFn: () => call("begin_facebook_login"),
    meta: { inlineError: true },
  });
}

/** Polls the login until it is ready or failed. */
export function useFacebookLoginStatus(state: string | null) {
  return useQuery<FacebookLoginStatus, UiError>({
    queryKey: accountKeys.login(state ?? ""),
    queryFn: () => call("facebook_login_status", { state: state ?? "" }),
    enabled: state !== null,
    refetchInterval: (query) => (query.state.data?.state === "waiting" ? 1000 : false),
  });
}

export function useBeginInstagramLogin() {
  return useMutation<FacebookLogin, UiError>({
    mutationFn: () => call("begin_instagram_login"),
    meta: { inlineError: true },
  });
}

/** Polls an Instagram Login; the engine connects the account when the token arrives. */
export function useInstagramLoginStatus(state: string | null) {
  const client = useQueryClient();
  return useQuery<InstagramLoginStatus, UiError>({
    // Not under accountKeys.all: connecting invalidates that, which must not poll this again.
    queryKey: ["instagram-login", state ?? ""],
    queryFn: async () => {
      const status = await call("instagram_login_status", { state: state ?? "" });
      if (status.state === "connected") applyInvalidation(client, accountInvalidations.connect());
      return status;
    },
    enabled: state !== null,
    refetchInterval: (query) => (query.state.data?.state === "waiting" ? 1000 : false),
  });
}

export function useConnectPages() {
  const client = useQueryClient();
  return useMutation<AccountView[], UiError, ConnectPagesRequest>({
    mutationFn: (request) => call("connect_pages", request),
    meta: { inlineError: true },
    onSuccess: () => applyInvalidation(client, accountInvalidations.connect()),
  });
}

export function useDisconnect() {
  const client = useQueryClient();
  return useMutation<DisconnectResult, UiError, DisconnectRequest>({
    mutationFn: (request) => call("disconnect_account", request),
    onSuccess: (_result, request) => applyInvalidation(client, accountInvalidations.disconnect(request.deleteData)),
  });
}

/** An account's state in words, and whether it needs the owner. */
export function describeAccount(a: AccountView, now: number): { label: string; tone: "ok" | "warn" | "off" } {
  switch (a.status) {
    case "connected":
      return { label: "Connected", tone: "ok" };
    case "needs_reconnect":
      return { label: "Needs reconnecting", tone: "warn" };
    case "rate_limited": {
      const mins = a.rateLimitedUntil ? Math.max(1, Math.ceil((a.rateLimitedUntil - now) / 60_000)) : null;
      return { label: mins && a.rateLimitedUntil! > now ? `Paused by Meta for ${mins} min` : "Resuming", tone: "warn" };
    }
    case "unsubscribed":
      return { label: "Not receiving messages", tone: "warn" };
    case "disconnected":
      return { label: "Disconnected", tone: "off" };
    default:
      return { label: "Seen in messages, not connected", tone: "off" };
  }
}
