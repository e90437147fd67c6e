import { describe, expect, it } from "vitest";
import { avatarHue, displayName, initials, secondaryId } from "./contact";

const c = (p: { name?: string | null; handle?: string | null; phone?: string | null; platformUserId?: string }) => ({
  name: p.name ?? null,
  handle: p.handle ?? null,
  phone: p.phone ?? null,
  platformUserId: p.platformUserId ?? "6029148823014821",
});

describe("contact names", () => {
  it("prefers name, then @handle, then phone, then 'Customer ·1234'", () => {
    expect(displayName(c({ name: "Amelia Hart", handle: "amelia" }))).toBe("Amelia Hart");
    expect(displayName(c({ name: "  ", handle: "lena.styles" }))).toBe("@lena.styles");
    expect(displayName(c({ handle: "@already" }))).toBe("@already");
    expect(displayName(c({ phone: "+44 7700 900782" }))).toBe("+44 7700 900782");
    expect(displayName(c({}))).toBe("Customer ·4821");
  });

  it("shows the handle or phone under a name, and nothing twice", () => {
    expect(secondaryId(c({ name: "Noah", handle: "noah.kim" }))).toBe("@noah.kim");
    expect(secondaryId(c({ name: "Oliver", phone: "+44 1" }))).toBe("+44 1");
    expect(secondaryId(c({ phone: "+44 1" }))).toBeNull();
  });

  it("takes initials from up to two words, skipping emoji and punctuation", () => {
    expect(initials(c({ name: "amelia hart" }))).toBe("AH");
    expect(initials(c({ name: "Mia" }))).toBe("M");
    expect(initials(c({ name: "🌸 Flora (Events) Ltd" }))).toBe("FE");
    expect(initials(c({ handle: "_lena.styles" }))).toBe("L");
    expect(initials(c({ phone: "+44 7700" }))).toBeNull();
  });

  it("gives a person the same colour every time, and different people different colours", () => {
    expect(avatarHue("Amelia Hart")).toBe(avatarHue("Amelia Hart"));
    const hues = new Set(["Amelia Hart", "Noah Kim", "Sofia Rossi", "Oliver Bennett", "Mia Chen", "Grace Okafor"].map(avatarHue));
    expect(hues.size).toBeGreaterThan(3);
  });
});
