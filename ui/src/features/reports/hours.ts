/** Business hours in words and in the time inputs' `HH:MM`. */
import type { BusinessHours } from "../../ipc/bindings";

export const WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Minutes after midnight as `HH:MM` (1440, the day's end, as `24:00`). */
export function clockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** A time input's `HH:MM` as minutes after midnight; closing at `00:00` means the day's end. */
export function minutesOf(time: string, closing = false): number {
  const [h, m] = time.split(":").map(Number);
  const minutes = (h ?? 0) * 60 + (m ?? 0);
  return closing && minutes === 0 ? 1440 : minutes;
}

/** "Mon–Fri 09:00–17:30": consecutive days as a span. */
export function describeHours(hours: BusinessHours): string {
  const days = [...new Set(hours.days)].sort((a, b) => a - b);
  const spans: string[] = [];
  for (let i = 0; i < days.length;) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === (days[j] ?? 0) + 1) j += 1;
    const first = WEEKDAY_NAMES[days[i] ?? 0];
    const last = WEEKDAY_NAMES[days[j] ?? 0];
    spans.push(j === i ? `${first}` : j === i + 1 ? `${first}, ${last}` : `${first}–${last}`);
    i = j + 1;
  }
  return `${spans.join(", ")} ${clockTime(hours.opensAt)}–${clockTime(hours.closesAt)}`;
}
