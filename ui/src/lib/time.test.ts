import { describe, expect, it } from "vitest";
import { calendarDaysBetween, formatClock, formatDayLabel, formatListTime } from "./time";

// Local dates, so the tests hold in any time zone (the config pins Europe/London for DST).
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const NOW = at(2025, 6, 11, 15, 30); // Wednesday 11 June 2025, 15:30
const L = "en-GB";

describe("formatListTime", () => {
  it("shows the clock for today, even just after midnight", () => {
    expect(formatListTime(at(2025, 6, 11, 9, 5), NOW, L)).toBe("09:05");
    expect(formatListTime(at(2025, 6, 11, 0, 1), NOW, L)).toBe("00:01");
  });

  it("says Yesterday for the previous calendar day, however few hours ago", () => {
    expect(formatListTime(at(2025, 6, 10, 23, 59), at(2025, 6, 11, 0, 10), L)).toBe("Yesterday");
    expect(formatListTime(at(2025, 6, 10, 8), NOW, L)).toBe("Yesterday");
  });

  it("shows the weekday within the last week", () => {
    expect(formatListTime(at(2025, 6, 9), NOW, L)).toBe("Mon");
    expect(formatListTime(at(2025, 6, 5), NOW, L)).toBe("Thu");
  });

  it("shows a date from a week ago, with the year only when it differs", () => {
    expect(formatListTime(at(2025, 6, 4), NOW, L)).toBe("4 Jun");
    expect(formatListTime(at(2024, 12, 24), NOW, L)).toBe("24 Dec 2024");
  });

  it("uses the locale's clock", () => {
    expect(formatClock(at(2025, 6, 11, 14, 5), "en-US")).toBe("2:05 PM");
    expect(formatClock(at(2025, 6, 11, 14, 5), "en-GB")).toBe("14:05");
  });
});

describe("formatDayLabel", () => {
  it("names today and yesterday, else the full date", () => {
    expect(formatDayLabel(at(2025, 6, 11, 8), NOW, L)).toBe("Today");
    expect(formatDayLabel(at(2025, 6, 10, 8), NOW, L)).toBe("Yesterday");
    expect(formatDayLabel(at(2025, 6, 2), NOW, L)).toBe("Monday 2 June");
    expect(formatDayLabel(at(2024, 6, 3), NOW, L)).toBe("Monday, 3 June 2024");
  });
});

describe("calendarDaysBetween", () => {
  it("counts calendar days across a daylight-saving change (30 March 2025 in London)", () => {
    expect(calendarDaysBetween(at(2025, 3, 29, 23, 30), at(2025, 3, 31, 0, 30))).toBe(2);
    expect(calendarDaysBetween(at(2025, 3, 30, 0, 30), at(2025, 3, 30, 23, 30))).toBe(0);
  });
});
