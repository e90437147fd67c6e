import { describe, expect, it } from "vitest";
import type { AccountView } from "../../ipc/bindings";
import { EVERYTHING } from "../../lib/invalidation";
import { accountInvalidations, accountKeys, describeAccount } from "./api";

const base: AccountView = {
  id: 1,
  platform: "messenger",
  assetId: "104628375019264",
  displayName: "Blumenhaus Lena",
  status: "connected",
  statusDetail: null,
  rateLimitedUntil: null,
  login: "facebook",
  businessId: null,
  tokenExpiresAt: null,
  history: null,
};

describe("account invalidations", () => {
  it("connecting refreshes the account list; deleting history refreshes everything", () => {
    expect(accountInvalidations.connect()).toEqual({ kind: "keys", keys: [accountKeys.all] });
    expect(accountInvalidations.disconnect(false)).toEqual({ kind: "keys", keys: [accountKeys.all] });
    expect(accountInvalidations.disconnect(true)).toBe(EVERYTHING);
  });
});

describe("describeAccount", () => {
  it("names each state and flags the ones that need the owner", () => {
    expect(describeAccount(base, 0)).toEqual({ label: "Connected", tone: "ok" });
    expect(describeAccount({ ...base, status: "needs_reconnect" }, 0).tone).toBe("warn");
    expect(describeAccount({ ...base, status: "unsubscribed" }, 0).label).toBe("Not receiving messages");
    const now = 1_000_000;
    expect(describeAccount({ ...base, status: "rate_limited", rateLimitedUntil: now + 5 * 60_000 }, now).label).toBe("Paused by Meta for 5 min");
    expect(describeAccount({ ...base, status: "rate_limited", rateLimitedUntil: now - 1 }, now).label).toBe("Resuming");
    expect(describeAccount({ ...base, status: "disconnected" }, 0).tone).toBe("off");
  });
});
