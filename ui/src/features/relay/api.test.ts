import { describe, expect, it } from "vitest";
import { parseRelayStatus } from "../../ipc/transport";
import { describeLink } from "./api";

describe("describeLink", () => {
  it("says what each link state means for the owner", () => {
    expect(describeLink({ state: "notPaired" })).toMatchObject({ label: "Relay not paired", tone: "off" });
    expect(describeLink({ state: "live", relay: "https://relay.example.com" })).toMatchObject({
      label: "Live",
      tone: "ok",
    });
    expect(describeLink({ state: "live", relay: "https://relay.example.com" }).detail).toContain("relay.example.com");
    expect(describeLink({ state: "syncing", relay: "https://r.example", pending: 1200 }).label).toBe("Syncing 1,200…");
    const offline = describeLink({ state: "offline", relay: "https://r.example", error: "connection refused", retryInMs: 4_400 });
    expect(offline.tone).toBe("warn");
    expect(offline.detail).toContain("Retrying in 4 s");
    expect(offline.detail).toContain("connection refused");
    expect(describeLink({ state: "needsAttention", relay: "x", error: "This device was revoked" }).detail).toBe("This device was revoked");
  });
});

describe("parseRelayStatus", () => {
  it("accepts the generated shape and refuses anything else", () => {
    const good = { link: { state: "live", relay: "https://r" }, relayUrl: "https://r", deviceId: "1", tenant: "default" };
    expect(parseRelayStatus(good)).toEqual(good);
    expect(parseRelayStatus({ link: { state: "exploded" } })).toBeNull();
    expect(parseRelayStatus("live")).toBeNull();
    expect(parseRelayStatus(null)).toBeNull();
  });
});
