import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../lib/time";
import { allowsFreeForm, describeReplyWindow } from "./replyWindow";

const NOW = new Date(2025, 5, 11, 15, 30).getTime(); // Wednesday 11 June 2025, 15:30
const L = "en-GB";

describe("reply window words", () => {
  it("inside 24 h: the time left in the standard window", () => {
    const w = describeReplyWindow({ state: "open", until: NOW + 13 * HOUR }, NOW, L);
    expect(w.status).toBe("open");
    expect(w.label).toBe("Reply window: 13 h left");
    expect(w.endsAt).toBe(NOW + 13 * HOUR);
  });

  it("counts minutes in the last hour, never 0", () => {
    expect(describeReplyWindow({ state: "open", until: NOW + 42 * MINUTE }, NOW, L).label).toBe("Reply window: 42 min left");
    expect(describeReplyWindow({ state: "open", until: NOW + 10_000 }, NOW, L).label).toBe("Reply window: 1 min left");
    // Read just before it ended and shown just after: still never "0 min".
    expect(describeReplyWindow({ state: "open", until: NOW - 1_000 }, NOW, L).label).toBe("Reply window: 1 min left");
  });

  it("between 24 h and 7 days: a human agent reply until a weekday", () => {
    // Last message Sunday 8 June 10:00 → human agent window ends Sunday 15 June 10:00.
    const end = new Date(2025, 5, 15, 10, 0).getTime();
    const w = describeReplyWindow({ state: "humanAgent", until: end }, NOW, L);
    expect(w.status).toBe("human_agent");
    expect(w.label).toBe("Outside 24 h — human agent reply until Sun");
    expect(w.endsAt).toBe(end);
  });

  it("names the time instead of the weekday when the human agent window ends today", () => {
    expect(describeReplyWindow({ state: "humanAgent", until: NOW + 2 * HOUR }, NOW, L).label).toBe("Outside 24 h — human agent reply until 17:30");
  });

  it("closed, template only and waiting read differently and allow no free-form reply", () => {
    expect(describeReplyWindow({ state: "closed" }, NOW, L).label).toBe("Closed — the customer has to write first");
    expect(describeReplyWindow({ state: "templateOnly" }, NOW, L).label).toBe("Closed — WhatsApp template only");
    expect(describeReplyWindow({ state: "templateOnly" }, NOW, L).status).toBe("closed");
    expect(describeReplyWindow({ state: "waiting" }, NOW, L).status).toBe("waiting");
    for (const w of [{ state: "closed" }, { state: "templateOnly" }, { state: "waiting" }] as const) {
      expect(allowsFreeForm(w)).toBe(false);
    }
    expect(allowsFreeForm({ state: "open", until: NOW + DAY })).toBe(true);
    expect(allowsFreeForm({ state: "humanAgent", until: NOW + DAY })).toBe(true);
  });
});
