import { describe, expect, it } from "vitest";
import { change, formatDuration, presetRange } from "./range";

describe("report ranges and numbers", () => {
  const now = new Date(2026, 2, 31, 15, 0); // Tuesday 31 March 2026, local time

  it("presets are whole local days ending today", () => {
    expect(presetRange("today", now)).toEqual({ from: "2026-03-31", to: "2026-03-31" });
    expect(presetRange("7d", now)).toEqual({ from: "2026-03-25", to: "2026-03-31" });
    expect(presetRange("30d", now)).toEqual({ from: "2026-03-02", to: "2026-03-31" });
    expect(presetRange("month", now)).toEqual({ from: "2026-03-01", to: "2026-03-31" });
  });

  it("durations read as people say them", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(20_000)).toBe("20 s");
    expect(formatDuration(12 * 60_000)).toBe("12 min");
    expect(formatDuration(3.5 * 3_600_000)).toBe("3.5 h");
    expect(formatDuration(54 * 3_600_000)).toBe("2.3 days");
  });

  it("the change against the previous period needs something to compare with", () => {
    expect(change(15, 10)).toBe(50);
    expect(change(5, 10)).toBe(-50);
    expect(change(3, 0)).toBeNull();
  });
});
