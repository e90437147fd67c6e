import { describe, expect, it } from "vitest";
import type { MessageKind, MessagePreview } from "../../ipc/bindings";
import { previewText } from "./preview";

function p(kind: MessageKind, text: string | null = null, extra: Partial<MessagePreview> = {}): MessagePreview {
  return { direction: "inbound", kind, text, deleted: false, status: null, attachmentCount: 0, ...extra };
}

describe("previewText", () => {
  it.each<[string, MessagePreview, string]>([
    ["text", p("text", "Do you deliver on Sundays?"), "Do you deliver on Sundays?"],
    ["text collapses newlines", p("text", "Hello\n\nthere  "), "Hello there"],
    ["photo without caption", p("image", null, { attachmentCount: 1 }), "📷 Photo"],
    ["several photos", p("image", null, { attachmentCount: 3 }), "📷 3 photos"],
    ["photo with caption", p("image", "Like this?", { attachmentCount: 1 }), "📷 Like this?"],
    ["video", p("video", null, { attachmentCount: 1 }), "🎥 Video"],
    ["voice note", p("audio", null, { attachmentCount: 1 }), "🎤 Voice message"],
    ["file with its name", p("file", "invoice.pdf", { attachmentCount: 1 }), "📎 invoice.pdf"],
    ["file without a name", p("file", null, { attachmentCount: 1 }), "📎 File"],
    ["sticker", p("sticker"), "💟 Sticker"],
    ["location", p("location"), "📍 Location"],
    ["named location", p("location", "Broadway Market"), "📍 Broadway Market"],
    ["contact card", p("contacts"), "👤 Contact"],
    ["shared post", p("share"), "🔗 Shared post"],
    ["story mention", p("story_mention"), "Mentioned you in their story"],
    ["postback", p("postback", "See prices"), "Tapped: See prices"],
    ["button", p("button", null), "Tapped a button"],
    ["interactive", p("interactive", "Tue 10:00–12:00"), "Tapped: Tue 10:00–12:00"],
    ["referral", p("referral", null), "Came from an ad"],
    ["system", p("system", "Number changed"), "Number changed"],
    ["unsupported", p("unsupported"), "Message type not supported"],
    ["template", p("template", "Your order is confirmed", { direction: "outbound" }), "You: 📋 Your order is confirmed"],
    ["unsent", p("text", null, { deleted: true }), "Message unsent"],
    ["unsent by us", p("image", null, { deleted: true, direction: "outbound" }), "You: Message unsent"],
    ["our text", p("text", "On its way!", { direction: "outbound", status: "read" }), "You: On its way!"],
    ["our photo", p("image", null, { direction: "outbound", attachmentCount: 1 }), "You: 📷 Photo"],
  ])("%s", (_name, preview, expected) => {
    expect(previewText(preview)).toBe(expected);
  });

  it("has something to say for a conversation with no message", () => {
    expect(previewText(null)).toBe("No messages yet");
  });

  it("has a non-empty preview for every kind with no text", () => {
    const kinds: MessageKind[] = [
      "text",
      "image",
      "video",
      "audio",
      "file",
      "sticker",
      "location",
      "contacts",
      "share",
      "story_mention",
      "postback",
      "interactive",
      "button",
      "referral",
      "system",
      "unsupported",
      "template",
    ];
    for (const k of kinds) expect(previewText(p(k)).length).toBeGreaterThan(3);
  });
});
