/**
 * Turns a thread's pages (newest first) into what is drawn top to bottom: day
 * separators, and messages grouped into runs from the same side a few minutes apart
 * (a run shares one timestamp and has tighter corners, as chat apps do).
 */
import type { InfiniteData } from "@tanstack/react-query";
import type { MessageKind, ThreadMessage, ThreadPage } from "../../ipc/bindings";
import { MINUTE, calendarDaysBetween } from "../../lib/time";

export const GROUP_GAP = 5 * MINUTE;

export type GroupPosition = "single" | "first" | "middle" | "last";

export type ThreadItem =
  { type: "day"; key: string; at: number } | { type: "message"; key: string; message: ThreadMessage; position: GroupPosition; showMeta: boolean };

/** Kinds drawn as a centred notice rather than a bubble: they break a run. */
export function isNotice(kind: MessageKind): boolean {
  return kind === "system";
}

/** Oldest first. Pages come newest first, and each page lists newest first. */
export function chronological(data: InfiniteData<ThreadPage> | undefined): ThreadMessage[] {
  if (!data) return [];
  const out: ThreadMessage[] = [];
  const seen = new Set<string>();
  for (const page of data.pages) {
    for (const m of page.messages) {
      // A message can appear on two pages if it arrived between page fetches.
      if (!seen.has(m.id)) {
        seen.add(m.id);
        out.push(m);
      }
    }
  }
  return out.sort((a, b) => a.sentAt - b.sentAt);
}

function joins(prev: ThreadMessage | undefined, m: ThreadMessage): boolean {
  return (
    prev !== undefined &&
    prev.direction === m.direction &&
    !isNotice(prev.kind) &&
    !isNotice(m.kind) &&
    m.sentAt - prev.sentAt <= GROUP_GAP &&
    calendarDaysBetween(prev.sentAt, m.sentAt) === 0
  );
}

export function layoutThread(messages: ThreadMessage[]): ThreadItem[] {
  const items: ThreadItem[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const prev = messages[i - 1];
    const next = messages[i + 1];
    if (!prev || calendarDaysBetween(prev.sentAt, m.sentAt) !== 0) {
      items.push({ type: "day", key: `day-${m.sentAt}`, at: m.sentAt });
    }
    const withPrev = joins(prev, m);
    const withNext = next !== undefined && joins(m, next);
    const position: GroupPosition = withPrev ? (withNext ? "middle" : "last") : withNext ? "first" : "single";
    // A failure or an edit is worth its own line even in the middle of a run.
    const showMeta = !withNext || m.status === "failed" || m.edited;
    items.push({ type: "message", key: m.id, message: m, position, showMeta });
  }
  return items;
}
