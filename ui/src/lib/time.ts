/**
 * Dates as the owner reads them. Every function takes `now` and an optional locale so
 * tests are deterministic; the window passes the user's locale (undefined).
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Calendar days between the two instants' local dates (0 = same day, 1 = yesterday). */
export function calendarDaysBetween(earlier: number, later: number): number {
  // Rounding absorbs the 23/25-hour days around daylight-saving changes.
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY);
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** "14:05" where the locale uses a 24-hour clock, "2:05 PM" where it uses 12 hours. */
export function formatClock(ms: number, locale?: string): string {
  const k = locale ?? "";
  let f = clocks.get(k);
  if (!f) {
    const cycle = new Intl.DateTimeFormat(locale, { hour: "numeric" }).resolvedOptions().hourCycle;
    const h24 = cycle === "h23" || cycle === "h24";
    f = new Intl.DateTimeFormat(locale, { hour: h24 ? "2-digit" : "numeric", minute: "2-digit" });
    clocks.set(k, f);
  }
  return f.format(ms);
}

export function formatWeekday(ms: number, locale?: string, style: "short" | "long" = "short"): string {
  return new Intl.DateTimeFormat(locale, { weekday: style }).format(ms);
}

/** Conversation list: today "14:05", "Yesterday", a weekday within the week, else a date. */
export function formatListTime(ms: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(ms, now);
  if (days <= 0) return formatClock(ms, locale);
  if (days === 1) return "Yesterday";
  if (days < 7) return formatWeekday(ms, locale);
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, sameYear ? { day: "numeric", month: "short" } : { day: "numeric", month: "short", year: "numeric" }).format(ms);
}

/** Separator between days in a thread: "Today", "Yesterday", "Monday 3 March". */
export function formatDayLabel(ms: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(ms, now);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(
    locale,
    sameYear ? { weekday: "long", day: "numeric", month: "long" } : { weekday: "long", day: "numeric", month: "long", year: "numeric" },
  ).format(ms);
}

/** Full date and time for tooltips. */
export function formatFull(ms: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short" }).format(ms);
}
