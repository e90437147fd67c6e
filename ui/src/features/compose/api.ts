/** Sending replies through the outbox: send, and retry or discard a failed send. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useQuery } from "@tanstack/react-query";
import type { OutboxRef, OutboxRefs, ReactRequest, SendMediaRequest, SendTemplateRequest, SendTextRequest, Template, UiError } from "../../ipc/bindings";
import { call } from "../../ipc/transport";
import { applyInvalidation, keys, type Invalidation } from "../../lib/invalidation";
import { conversationKeys } from "../conversations/api";
import { threadKeys } from "../thread/api";

/** A send changes the thread (a pending message) and the list (its preview and order). */
export const composeInvalidations = {
  send: (conversationId: string): Invalidation => keys(threadKeys.detail(conversationId), conversationKeys.lists()),
};

export function useSendText() {
  const client = useQueryClient();
  return useMutation<OutboxRef, UiError, SendTextRequest>({
    mutationFn: (request) => call("send_text", request),
    meta: { inlineError: true },
    onSuccess: (_ref, request) => applyInvalidation(client, composeInvalidations.send(request.conversationId)),
  });
}

export function useSendMedia() {
  const client = useQueryClient();
  return useMutation<OutboxRefs, UiError, SendMediaRequest>({
    mutationFn: (request) => call("send_media", request),
    meta: { inlineError: true },
    onSuccess: (_ref, request) => applyInvalidation(client, composeInvalidations.send(request.conversationId)),
  });
}

/** The approved templates of a WhatsApp conversation's number (asked of Meta, so cached a while). */
export function useTemplates(conversationId: string, enabled: boolean) {
  return useQuery<Template[], UiError>({
    queryKey: ["templates", conversationId],
    queryFn: () => call("list_templates", { conversationId }),
    enabled,
    staleTime: 5 * 60_000,
    meta: { inlineError: true },
  });
}

export function useSendTemplate() {
  const client = useQueryClient();
  return useMutation<OutboxRef, UiError, SendTemplateRequest>({
    mutationFn: (request) => call("send_template", request),
    meta: { inlineError: true },
    onSuccess: (_ref, request) => applyInvalidation(client, composeInvalidations.send(request.conversationId)),
  });
}

/** A template's body with the values typed so far; blanks stay as their placeholder. */
export function renderTemplate(body: string, values: string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => values[Number(n) - 1]?.trim() || whole);
}

/** A reaction shows at once in the thread (the engine records it before sending). */
export function useReact(conversationId: string) {
  const client = useQueryClient();
  return useMutation<OutboxRef, UiError, ReactRequest>({
    mutationFn: (request) => call("react", request),
    onSuccess: () => applyInvalidation(client, keys(threadKeys.detail(conversationId))),
  });
}

export function useRetrySend(conversationId: string) {
  const client = useQueryClient();
  return useMutation<void, UiError, OutboxRef>({
    mutationFn: (request) => call("retry_send", request),
    onSuccess: () => applyInvalidation(client, composeInvalidations.send(conversationId)),
  });
}

export function useDiscardSend(conversationId: string) {
  const client = useQueryClient();
  return useMutation<void, UiError, OutboxRef>({
    mutationFn: (request) => call("discard_send", request),
    onSuccess: () => applyInvalidation(client, composeInvalidations.send(conversationId)),
  });
}

/** The outbox id of a message this computer sent and Meta has not numbered yet. */
export function localClientId(mid: string): string | null {
  return mid.startsWith("local:") ? mid.slice("local:".length) : null;
}

/** Per-platform length limits (META-API.md §3.3, §3.4): characters, or bytes for Instagram. */
export function lengthLeft(platform: "messenger" | "instagram" | "whatsapp", text: string): number {
  switch (platform) {
    case "messenger":
      return 2000 - [...text].length;
    case "instagram":
      return 1000 - new TextEncoder().encode(text).length;
    case "whatsapp":
      return 4096 - [...text].length;
  }
}
