import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../lib/time";
import { replyWindow } from "./replyWindow";

const NOW = new Date(2025, 5, 11, 15, 30).getTime(); // Wednesday 11 June 2025, 15:30
const L = "en-GB";

describe("reply window", () => {
  it("inside 24 h: the standard window, on every platform", () => {
    for (const p of ["messenger", "instagram", "whatsapp"] as const) {
      const w = replyWindow(p, NOW - 11 * HOUR, NOW, L);
      expect(w.status).toBe("open");
      expect(w.label).toBe("Reply window: 13 h left");
      expect(w.endsAt).toBe(NOW + 13 * HOUR);
    }
  });

  it("counts minutes in the last hour, never 0", () => {
    expect(replyWindow("whatsapp", NOW - 23 * HOUR - 18 * MINUTE, NOW, L).label).toBe("Reply window: 42 min left");
    expect(replyWindow("whatsapp", NOW - DAY + 10_000, NOW, L).label).toBe("Reply window: 1 min left");
  });

  it("Messenger and Instagram between 24 h and 7 days: human agent reply until the 7th day", () => {
    // Last message Sunday 8 June 10:00 → human agent window ends Sunday 15 June 10:00.
    const last = new Date(2025, 5, 8, 10, 0).getTime();
    for (const p of ["messenger", "instagram"] as const) {
      const w = replyWindow(p, last, NOW, L);
      expect(w.status).toBe("human_agent");
      expect(w.label).toBe("Outside 24 h — human agent reply until Sun");
      expect(w.endsAt).toBe(last + 7 * DAY);
    }
  });

  it("names the time instead of the weekday when the human agent window ends today", () => {
    const last = NOW - 7 * DAY + 2 * HOUR; // ends today at 17:30
    expect(replyWindow("messenger", last, NOW, L).label).toBe("Outside 24 h — human agent reply until 17:30");
  });

  it("Messenger and Instagram after 7 days: closed until the customer writes", () => {
    const w = replyWindow("instagram", NOW - 8 * DAY, NOW, L);
    expect(w.status).toBe("closed");
    expect(w.label).toBe("Closed — the customer has to write first");
  });

  it("WhatsApp after 24 h: templates only", () => {
    for (const age of [DAY, DAY + MINUTE, 3 * DAY, 30 * DAY]) {
      const w = replyWindow("whatsapp", NOW - age, NOW, L);
      expect(w.status).toBe("closed");
      expect(w.label).toBe("Closed — WhatsApp template only");
    }
  });

  it("no inbound message yet: WhatsApp needs a template, Meta's inboxes wait", () => {
    expect(replyWindow("whatsapp", null, NOW, L).label).toBe("Closed — WhatsApp template only");
    expect(replyWindow("messenger", null, NOW, L).status).toBe("waiting");
  });
});
