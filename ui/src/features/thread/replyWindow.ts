/**
 * Whether the business may still reply, from the customer's last inbound message.
 * Meta's rules: Messenger and Instagram allow a standard reply for 24 h, then a reply
 * from a person with the HUMAN_AGENT tag until 7 days; WhatsApp allows free-form replies
 * for 24 h (the customer service window), then only approved templates.
 */
import type { Platform } from "../../ipc/bindings";
import { DAY, HOUR, MINUTE, calendarDaysBetween, formatClock, formatWeekday } from "../../lib/time";

export type ReplyWindowStatus = "open" | "human_agent" | "closed" | "waiting";

export type ReplyWindow = {
  status: ReplyWindowStatus;
  /** Short text for the thread header. */
  label: string;
  /** One sentence for the tooltip. */
  detail: string;
  /** When the current window ends, if it does. */
  endsAt: number | null;
};

export const STANDARD_WINDOW = DAY;
export const HUMAN_AGENT_WINDOW = 7 * DAY;

function timeLeft(ms: number): string {
  if (ms < HOUR) return `${Math.max(1, Math.ceil(ms / MINUTE))} min left`;
  return `${Math.floor(ms / HOUR)} h left`;
}

function until(end: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(now, end);
  if (days === 0) return formatClock(end, locale);
  // Under 6 days away here, so a weekday is unambiguous.
  return formatWeekday(end, locale);
}

export function replyWindow(platform: Platform, lastInboundAt: number | null, now: number, locale?: string): ReplyWindow {
  const whatsapp = platform === "whatsapp";
  const templateOnly: ReplyWindow = {
    status: "closed",
    label: "Closed — WhatsApp template only",
    detail: "The customer has not written in the last 24 hours, so WhatsApp only allows approved templates.",
    endsAt: null,
  };
  if (lastInboundAt == null) {
    if (whatsapp) return templateOnly;
    return {
      status: "waiting",
      label: "Waiting for the customer to write",
      detail: "Meta lets a business reply once the customer has sent a message.",
      endsAt: null,
    };
  }
  const age = Math.max(0, now - lastInboundAt);
  if (age < STANDARD_WINDOW) {
    const end = lastInboundAt + STANDARD_WINDOW;
    return {
      status: "open",
      label: `Reply window: ${timeLeft(end - now)}`,
      detail: `You can reply freely until ${formatWeekday(end, locale)} ${formatClock(end, locale)}.`,
      endsAt: end,
    };
  }
  if (whatsapp) return templateOnly;
  if (age < HUMAN_AGENT_WINDOW) {
    const end = lastInboundAt + HUMAN_AGENT_WINDOW;
    return {
      status: "human_agent",
      label: `Outside 24 h — human agent reply until ${until(end, now, locale)}`,
      detail: "More than 24 hours have passed. A person (not an automation) may still reply, tagged HUMAN_AGENT, for 7 days after the customer's last message.",
      endsAt: end,
    };
  }
  return {
    status: "closed",
    label: "Closed — the customer has to write first",
    detail: "More than 7 days have passed since the customer's last message.",
    endsAt: null,
  };
}
