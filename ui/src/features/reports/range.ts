/** The range picker's presets as local calendar days (YYYY-MM-DD), as the engine reads them. */
export type Preset = "today" | "7d" | "30d" | "month" | "custom";

export const PRESET_LABEL: Record<Preset, string> = {
  today: "Today",
  "7d": "7 days",
  "30d": "30 days",
  month: "This month",
  custom: "Custom",
};

export function dayString(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function daysBefore(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - n);
}

/** The days a preset covers, ending today (`now`). */
export function presetRange(preset: Exclude<Preset, "custom">, now: Date): { from: string; to: string } {
  const to = dayString(now);
  switch (preset) {
    case "today":
      return { from: to, to };
    case "7d":
      return { from: dayString(daysBefore(now, 6)), to };
    case "30d":
      return { from: dayString(daysBefore(now, 29)), to };
    case "month":
      return { from: dayString(new Date(now.getFullYear(), now.getMonth(), 1)), to };
  }
}

/** A duration as people say it: 45 s, 12 min, 3.5 h, 2.1 days. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  const minutes = ms / 60_000;
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(minutes < 600 ? 1 : 0)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}

/** The change against the previous period, as a signed percentage; null when it had none. */
export function change(now: number, before: number): number | null {
  if (before === 0) return null;
  return Math.round(((now - before) / before) * 100);
}
