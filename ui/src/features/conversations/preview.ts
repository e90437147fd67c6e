/** The one-line preview of a conversation's last message, as the list shows it. */
import type { MessageKind, MessagePreview } from "../../ipc/bindings";

function withText(icon: string, text: string | null, fallback: string): string {
  return `${icon} ${text ?? fallback}`;
}

function countOr(n: number, one: string, many: string): string {
  return n > 1 ? `${n} ${many}` : one;
}

function body(kind: MessageKind, text: string | null, attachments: number): string {
  switch (kind) {
    case "text":
      return text ?? "Message";
    case "image":
      return withText("📷", text, countOr(attachments, "Photo", "photos"));
    case "video":
      return withText("🎥", text, countOr(attachments, "Video", "videos"));
    case "audio":
      return withText("🎤", text, "Voice message");
    case "file":
      // For files the engine keeps the filename (or caption) as the text.
      return withText("📎", text, countOr(attachments, "File", "files"));
    case "sticker":
      return "💟 Sticker";
    case "location":
      return withText("📍", text, "Location");
    case "contacts":
      return withText("👤", text, "Contact");
    case "share":
      return withText("🔗", text, "Shared post");
    case "story_mention":
      return "Mentioned you in their story";
    case "postback":
    case "button":
    case "interactive":
      return text ? `Tapped: ${text}` : "Tapped a button";
    case "referral":
      return text ? `Came from an ad: ${text}` : "Came from an ad";
    case "system":
      return text ?? "Conversation update";
    case "unsupported":
      return "Message type not supported";
    case "template":
      return withText("📋", text, "Template message");
  }
}

export function previewText(preview: MessagePreview | null): string {
  if (!preview) return "No messages yet";
  const text = preview.text?.replace(/\s+/g, " ").trim() || null;
  const line = preview.deleted ? "Message unsent" : body(preview.kind, text, preview.attachmentCount);
  // System notices are not said by anyone, so they take no "You:".
  return preview.direction === "outbound" && preview.kind !== "system" ? `You: ${line}` : line;
}
