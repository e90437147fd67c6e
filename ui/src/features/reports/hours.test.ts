import { describe, expect, it } from "vitest";
import { clockTime, describeHours, minutesOf } from "./hours";

describe("business hours", () => {
  it("read as a sign on the door says them", () => {
    expect(describeHours({ days: [4, 0, 1, 2, 3], opensAt: 540, closesAt: 1050 })).toBe("Mon–Fri 09:00–17:30");
    expect(describeHours({ days: [0, 2, 3, 5, 6], opensAt: 480, closesAt: 1440 })).toBe("Mon, Wed, Thu, Sat, Sun 08:00–24:00");
  });

  it("go to and from the time inputs, closing at midnight meaning the day's end", () => {
    expect(clockTime(545)).toBe("09:05");
    expect(minutesOf("09:05")).toBe(545);
    expect(minutesOf("00:00", true)).toBe(1440);
    expect(minutesOf("00:00")).toBe(0);
  });
});
