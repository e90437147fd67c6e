import { describe, expect, it } from "vitest";
import { papersFor } from "./paper";

describe("papersFor", () => {
  it("puts Letter first where it is the norm and A4 first elsewhere", () => {
    expect(papersFor("en-US")).toEqual(["letter", "a4"]);
    expect(papersFor("es-MX")).toEqual(["letter", "a4"]);
    expect(papersFor("en-GB")).toEqual(["a4", "letter"]);
    expect(papersFor("pt-BR")).toEqual(["a4", "letter"]);
    expect(papersFor("de")).toEqual(["a4", "letter"]);
  });

  it("falls back to A4 first for a language tag it cannot read", () => {
    expect(papersFor("not a locale!")).toEqual(["a4", "letter"]);
  });
});
