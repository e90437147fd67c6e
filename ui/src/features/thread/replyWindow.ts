/**
 * Words for the reply window. The rule itself (Meta's 24 h standard window, the 7-day
 * HUMAN_AGENT window on Messenger and Instagram, WhatsApp templates after 24 h) is applied
 * once, by the engine, and arrives on each conversation summary; this only formats it.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type { ReplyWindow } from "../../ipc/bindings";
import { HOUR, MINUTE, calendarDaysBetween, formatClock, formatWeekday } from "../../lib/time";
import { conversationKeys } from "../conversations/api";
import { threadKeys } from "./api";

export type ReplyWindowStatus = "open" | "human_agent" | "closed" | "waiting";

export type ReplyWindowText = {
  status: ReplyWindowStatus;
  /** Short text for the thread header. */
  label: string;
  /** One sentence for the tooltip. */
  detail: string;
  /** When the current window ends, if it does. */
  endsAt: number | null;
};

function timeLeft(ms: number): string {
  if (ms < HOUR) return `${Math.max(1, Math.ceil(ms / MINUTE))} min left`;
  return `${Math.floor(ms / HOUR)} h left`;
}

function until(end: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(now, end);
  if (days === 0) return formatClock(end, locale);
  // Under 7 days away, so a weekday is unambiguous.
  return formatWeekday(end, locale);
}

export function describeReplyWindow(w: ReplyWindow, now: number, locale?: string): ReplyWindowText {
  switch (w.state) {
    case "open":
      return {
        status: "open",
        label: `Reply window: ${timeLeft(w.until - now)}`,
        detail: `You can reply freely until ${formatWeekday(w.until, locale)} ${formatClock(w.until, locale)}.`,
        endsAt: w.until,
      };
    case "humanAgent":
      return {
        status: "human_agent",
        label: `Outside 24 h — human agent reply until ${until(w.until, now, locale)}`,
        detail:
          "More than 24 hours have passed. A person (not an automation) may still reply, tagged HUMAN_AGENT, for 7 days after the customer's last message.",
        endsAt: w.until,
      };
    case "templateOnly":
      return {
        status: "closed",
        label: "Closed — WhatsApp template only",
        detail: "The customer has not written in the last 24 hours, so WhatsApp only allows approved templates.",
        endsAt: null,
      };
    case "waiting":
      return {
        status: "waiting",
        label: "Waiting for the customer to write",
        detail: "Meta lets a business reply once the customer has sent a message.",
        endsAt: null,
      };
    case "closed":
      return {
        status: "closed",
        label: "Closed — the customer has to write first",
        detail: "More than 7 days have passed since the customer's last message.",
        endsAt: null,
      };
  }
}

/** Whether a free-form reply (or a reaction) may be sent now. */
export function allowsFreeForm(w: ReplyWindow): boolean {
  return w.state === "open" || w.state === "humanAgent";
}

/**
 * Asks the engine again when the window it described ends, so the header, the composer
 * and the reactions move on to the next window without waiting for a new message.
 */
export function useReplyWindowRefresh(conversationId: string, w: ReplyWindow | undefined): void {
  const client = useQueryClient();
  const endsAt = w && (w.state === "open" || w.state === "humanAgent") ? w.until : null;
  useEffect(() => {
    if (endsAt === null) return;
    // Timers cap near 24.8 days; a window never lasts beyond 7.
    const t = setTimeout(
      () => {
        void client.invalidateQueries({ queryKey: conversationKeys.lists() });
        void client.invalidateQueries({ queryKey: threadKeys.detail(conversationId) });
      },
      Math.max(0, endsAt - Date.now()) + 250,
    );
    return () => clearTimeout(t);
  }, [client, conversationId, endsAt]);
}
