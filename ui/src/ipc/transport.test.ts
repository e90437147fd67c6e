import { describe, expect, it } from "vitest";
import type { UiError } from "./bindings";
import { call, isUiError, localFileUrl, openInBrowser, parseStoreChanged, pickFile, toUiError } from "./transport";

describe("toUiError", () => {
  it("keeps a UiError from the shell as it is", () => {
    const e: UiError = { code: "StoreUnavailable", message: "Your inbox file is locked.", action: "Close other copies of CAHTS." };
    expect(toUiError(e)).toEqual(e);
  });

  it("fills a missing action with null and drops extra fields", () => {
    expect(toUiError({ code: "NotFound", message: "Gone.", extra: 1 })).toEqual({ code: "NotFound", message: "Gone.", action: null });
  });

  it("turns a Tauri string rejection into Internal with the text kept", () => {
    expect(toUiError("Command get_thread not found")).toEqual({
      code: "Internal",
      message: "Command get_thread not found",
      action: null,
    });
  });

  it("turns an Error into Internal with its message", () => {
    expect(toUiError(new TypeError("x is not a function"))).toEqual({ code: "Internal", message: "x is not a function", action: null });
  });

  it("gives undefined, null and empty strings a readable message and a next step", () => {
    for (const e of [undefined, null, "", "   ", new Error("")]) {
      const u = toUiError(e);
      expect(u.code).toBe("Internal");
      expect(u.message).toBe("Something went wrong.");
      expect(u.action).toMatch(/Try again/);
    }
  });

  it("does not trust an object whose code is not an ErrorCode", () => {
    const u = toUiError({ code: "Teapot", message: "I am a teapot" });
    expect(u).toEqual({ code: "Internal", message: "I am a teapot", action: null });
    expect(isUiError({ code: "Teapot", message: "x" })).toBe(false);
    expect(isUiError({ code: "Validation" })).toBe(false);
  });
});

describe("parseStoreChanged", () => {
  it("accepts the generated shape", () => {
    expect(parseStoreChanged({ conversationIds: ["c1", "c2"], everything: false })).toEqual({
      conversationIds: ["c1", "c2"],
      everything: false,
    });
  });

  it("treats anything malformed as 'everything changed'", () => {
    for (const p of [null, "x", {}, { conversationIds: [1], everything: false }, { conversationIds: ["a"] }]) {
      expect(parseStoreChanged(p)).toEqual({ conversationIds: [], everything: true });
    }
  });
});

describe("call", () => {
  it("rejects with a UiError when not running inside Tauri", async () => {
    const err = await call("app_status").catch((e: unknown) => e);
    expect(isUiError(err)).toBe(true);
    expect((err as UiError).message).toMatch(/outside its desktop window/);
  });
});

describe("the shell's own services outside the app window", () => {
  it("has no local file address", () => {
    expect(localFileUrl("/home/lena/.local/share/cahts/media/a.jpg")).toBeNull();
  });

  it("rejects picking a file and opening the browser with a UiError", async () => {
    for (const attempt of [pickFile("Send a file"), openInBrowser("https://example.com/")]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(isUiError(err)).toBe(true);
      expect((err as UiError).message).toMatch(/outside its desktop window/);
    }
  });
});
