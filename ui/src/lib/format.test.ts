import { describe, expect, it } from "vitest";
import { humanSize } from "./format";

describe("humanSize", () => {
  it("reads like a file manager", () => {
    expect(humanSize(512)).toBe("512 B");
    expect(humanSize(1536)).toBe("1.5 KB");
    expect(humanSize(182_400)).toBe("178 KB");
    expect(humanSize(4_400_000)).toBe("4.2 MB");
    expect(humanSize(3 * 1024 ** 3)).toBe("3.0 GB");
  });

  it("says nothing when the size is unknown or nonsense", () => {
    expect(humanSize(null)).toBeNull();
    expect(humanSize(undefined)).toBeNull();
    expect(humanSize(-1)).toBeNull();
    expect(humanSize(Number.NaN)).toBeNull();
  });
});
