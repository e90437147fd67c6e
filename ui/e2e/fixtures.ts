/**
 * Demo-like data for the Chromium test, typed against the generated bindings so it
 * cannot drift from what the engine sends. A florist ("Bloom & Co") with eight live
 * conversations across the three platforms, covering every message kind the thread
 * draws, plus a long tail of finished conversations to exercise list paging.
 */
import type { AccountRef, Attachment, ContactRef, ConversationState, MessageExtras, Platform, ThreadMessage } from "../src/ipc/bindings";

export type FakeConversation = {
  id: string;
  platform: Platform;
  account: AccountRef;
  contact: ContactRef;
  state: ConversationState;
  unreadCount: number;
  markedUnread: boolean;
  /** Oldest first. */
  messages: ThreadMessage[];
};

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const ACCOUNTS: Record<Platform, AccountRef> = {
  messenger: { id: 1, platform: "messenger", assetId: "104857362", name: "Bloom & Co Flowers", status: "connected" },
  instagram: { id: 2, platform: "instagram", assetId: "178414093", name: "@bloomandco.london", status: "connected" },
  whatsapp: { id: 3, platform: "whatsapp", assetId: "209374651", name: "Bloom & Co · +44 20 7946 0958", status: "connected" },
};

export const NO_EXTRAS: MessageExtras = {
  location: null,
  payload: null,
  buttonTitle: null,
  referral: null,
  error: null,
  appId: null,
  sendMetadata: null,
  newWaId: null,
};

export function attachment(p: Partial<Attachment>): Attachment {
  return {
    kind: null,
    mimeType: null,
    url: null,
    mediaId: null,
    filename: null,
    sizeBytes: null,
    sha256: null,
    title: null,
    localPath: null,
    ...p,
  };
}

let seq = 0;
type MsgInput = Partial<Omit<ThreadMessage, "extras">> & {
  direction: ThreadMessage["direction"];
  sentAt: number;
  extras?: Partial<MessageExtras>;
};

export function message(p: MsgInput): ThreadMessage {
  seq += 1;
  const id = p.id ?? `m-${seq}`;
  return {
    id,
    mid: p.mid ?? `mid.${id}`,
    kind: "text",
    text: null,
    edited: false,
    deleted: false,
    status: p.direction === "outbound" ? "read" : null,
    failure: null,
    attachments: [],
    reactions: [],
    quoted: null,
    ...p,
    extras: { ...NO_EXTRAS, ...p.extras },
  };
}

function contact(id: string, p: Partial<ContactRef>): ContactRef {
  return { id, platformUserId: p.platformUserId ?? `${id}-psid`, name: null, handle: null, phone: null, avatarUrl: null, ...p };
}

/** A soft flower illustration, so image thumbnails render without the network. */
function photo(a: string, b: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>
<rect width="400" height="300" fill="url(#g)"/>
<g fill="#fff" fill-opacity=".55">${[0, 72, 144, 216, 288]
    .map((r) => `<ellipse cx="200" cy="112" rx="34" ry="58" transform="rotate(${r} 200 160)"/>`)
    .join("")}</g><circle cx="200" cy="160" r="26" fill="#ffd36e"/>
<path d="M200 190 C 196 240, 190 270, 186 300" stroke="#3f7d4e" stroke-width="6" fill="none"/></svg>`;
  return `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`;
}

export function demoConversations(now: number): FakeConversation[] {
  seq = 0;
  const amelia: FakeConversation = {
    id: "c-amelia",
    platform: "whatsapp",
    account: ACCOUNTS.whatsapp,
    contact: contact("p-amelia", { name: "Amelia Hart", phone: "+44 7700 900461", platformUserId: "447700900461" }),
    state: "open",
    unreadCount: 0,
    markedUnread: false,
    messages: [
      message({ direction: "inbound", sentAt: now - 26 * HOUR, text: "Hi! Do you do same-day delivery to Camden? It's my mum's birthday 🎂" }),
      message({
        direction: "outbound",
        sentAt: now - 26 * HOUR + 2 * MIN,
        text: "Happy birthday to your mum! Yes — same-day delivery to Camden is £6 if you order by 2pm.",
        reactions: [{ actor: "contact", emoji: "❤️" }],
      }),
      message({
        id: "m-amelia-photo",
        direction: "inbound",
        kind: "image",
        sentAt: now - 26 * HOUR + 4 * MIN,
        text: "Something like this, but more pink?",
        attachments: [attachment({ kind: "image", mimeType: "image/jpeg", url: photo("#f7b2c4", "#e56b8f"), sizeBytes: 284_000 })],
      }),
      message({
        direction: "inbound",
        kind: "audio",
        sentAt: now - 26 * HOUR + 5 * MIN,
        attachments: [attachment({ kind: "audio", mimeType: "audio/ogg", voice: true, sizeBytes: 41_000 })],
      }),
      message({
        direction: "outbound",
        sentAt: now - 26 * HOUR + 12 * MIN,
        status: "delivered",
        text: "We can do that in blush and fuchsia peonies 🌸 I'll send the invoice now.",
        quoted: {
          type: "message",
          mid: "mid.m-amelia-photo",
          direction: "inbound",
          kind: "image",
          text: "Something like this, but more pink?",
          deleted: false,
        },
      }),
      message({
        direction: "outbound",
        kind: "file",
        sentAt: now - 26 * HOUR + 13 * MIN,
        status: "delivered",
        attachments: [attachment({ kind: "file", mimeType: "application/pdf", filename: "Invoice-2291.pdf", sizeBytes: 182_400 })],
      }),
      message({
        direction: "outbound",
        sentAt: now - 40 * MIN,
        status: "failed",
        failure: {
          code: 131047,
          reason: "Re-engagement message: more than 24 hours have passed since the customer last replied.",
        },
        text: "Your bouquet is out for delivery and should arrive by 4pm!",
      }),
    ],
  };

  const noah: FakeConversation = {
    id: "c-noah",
    platform: "instagram",
    account: ACCOUNTS.instagram,
    contact: contact("p-noah", { name: "Noah Kim", handle: "noah.kim", platformUserId: "17841400001234" }),
    state: "open",
    unreadCount: 2,
    markedUnread: false,
    messages: [
      message({
        direction: "inbound",
        sentAt: now - 3 * HOUR,
        text: "Are these the ranunculus from your story? 😍",
        quoted: { type: "story", url: null },
      }),
      message({ direction: "outbound", sentAt: now - 3 * HOUR + 6 * MIN, text: "They are! Fresh in this morning from the market." }),
      message({
        direction: "inbound",
        kind: "share",
        sentAt: now - 2 * HOUR - 10 * MIN,
        attachments: [attachment({ kind: "reel", title: "Spring table styling ideas" })],
      }),
      message({
        direction: "inbound",
        sentAt: now - 2 * HOUR,
        text: "Could you do something like this for a dinner on Friday? Delivery to Hackney, around 6pm.",
      }),
    ],
  };

  const sofiaHistory: ThreadMessage[] = [];
  const lines = [
    ["inbound", "Hi, could I order a dozen red roses for Friday?"],
    ["outbound", "Of course! Would you like them wrapped or in a vase?"],
    ["inbound", "Wrapped please, with a small card."],
    ["outbound", "Lovely. That's £48 — I'll send a payment link."],
    ["inbound", "Paid, thank you!"],
    ["outbound", "Received, thank you Sofia. They'll be ready from 10am."],
  ] as const;
  for (let i = 0; i < 78; i++) {
    const [direction, text] = lines[i % lines.length]!;
    sofiaHistory.push(
      message({ direction, sentAt: now - 40 * DAY + i * 7 * HOUR, text: `${text}${i >= lines.length ? ` (order ${1000 + Math.floor(i / 6)})` : ""}` }),
    );
  }
  const sofia: FakeConversation = {
    id: "c-sofia",
    platform: "messenger",
    account: ACCOUNTS.messenger,
    contact: contact("p-sofia", { name: "Sofia Rossi", platformUserId: "5829301847261" }),
    state: "open",
    unreadCount: 0,
    markedUnread: false,
    messages: [
      ...sofiaHistory,
      message({
        direction: "inbound",
        kind: "referral",
        sentAt: now - 3 * DAY - 2 * HOUR,
        extras: {
          referral: {
            source: "ADS",
            refParam: null,
            adId: "6123456789",
            headline: "Spring bouquets — 20% off this week",
            body: "Hand-tied seasonal bouquets from £35, delivered across London.",
            sourceUrl: null,
            productId: null,
          },
        },
      }),
      message({
        direction: "inbound",
        kind: "postback",
        sentAt: now - 3 * DAY - 2 * HOUR + 1 * MIN,
        text: "See prices",
        extras: { payload: "PRICES", buttonTitle: "See prices" },
      }),
      message({
        direction: "outbound",
        sentAt: now - 3 * DAY - 2 * HOUR + 9 * MIN,
        edited: true,
        text: "Our spring bouquets start at £35 (£28 this week). Shall I reserve one for you?",
      }),
      message({ direction: "inbound", sentAt: now - 3 * DAY, text: "Yes please — the large one, for Saturday delivery." }),
      message({
        direction: "outbound",
        sentAt: now - 3 * DAY + 5 * MIN,
        status: "delivered",
        text: "Reserved! 🌷 See you Saturday.",
        reactions: [{ actor: "contact", emoji: "👍" }],
      }),
    ],
  };

  const grace: FakeConversation = {
    id: "c-unknown",
    platform: "whatsapp",
    account: ACCOUNTS.whatsapp,
    contact: contact("p-unknown", { phone: "+44 7700 900782", platformUserId: "447700900782" }),
    state: "open",
    unreadCount: 0,
    markedUnread: true,
    messages: [
      message({
        direction: "inbound",
        kind: "location",
        sentAt: now - 5 * HOUR - 10 * MIN,
        extras: {
          location: { latitude: 51.536214, longitude: -0.061742, name: "Broadway Market", address: "Broadway Market, London E8 4QJ", url: null },
        },
      }),
      message({
        direction: "inbound",
        kind: "contacts",
        sentAt: now - 5 * HOUR - 8 * MIN,
        extras: { contacts: [{ name: "Grace Okafor", phones: ["+44 7700 900318"], emails: ["grace@okafor-events.example"], organization: "Okafor Events" }] },
      }),
      message({
        direction: "inbound",
        sentAt: now - 5 * HOUR,
        text: "My colleague Grace is organising the wedding — can she call you about delivery times?",
      }),
      message({ direction: "outbound", sentAt: now - 1 * MIN, status: "pending", text: "Of course! She can call us any time after 9am." }),
    ],
  };

  const lena: FakeConversation = {
    id: "c-lena",
    platform: "instagram",
    account: ACCOUNTS.instagram,
    contact: contact("p-lena", { handle: "lena.styles", platformUserId: "17841400009876" }),
    state: "done",
    unreadCount: 0,
    markedUnread: false,
    messages: [
      message({ direction: "inbound", kind: "sticker", sentAt: now - 2 * DAY - 3 * HOUR, attachments: [attachment({ kind: "sticker" })] }),
      message({ direction: "inbound", sentAt: now - 2 * DAY - 3 * HOUR + MIN, deleted: true }),
      message({ direction: "outbound", sentAt: now - 2 * DAY, text: "No worries! Let us know if you change your mind." }),
    ],
  };

  const stranger: FakeConversation = {
    id: "c-stranger",
    platform: "messenger",
    account: ACCOUNTS.messenger,
    contact: contact("p-stranger", { platformUserId: "6029148823014821" }),
    state: "open",
    unreadCount: 1,
    markedUnread: false,
    messages: [
      message({
        direction: "inbound",
        kind: "unsupported",
        sentAt: now - 6 * DAY - 20 * MIN,
        extras: { error: { code: null, title: "This message type isn't available through Messenger", detail: null } },
      }),
      message({ direction: "inbound", sentAt: now - 6 * DAY, text: "Hello? Did my message come through?" }),
    ],
  };

  const oliver: FakeConversation = {
    id: "c-oliver",
    platform: "whatsapp",
    account: ACCOUNTS.whatsapp,
    contact: contact("p-oliver", { name: "Oliver Bennett", phone: "+44 7700 900155", platformUserId: "447700900155" }),
    state: "open",
    unreadCount: 1,
    markedUnread: false,
    messages: [
      message({ direction: "inbound", kind: "system", sentAt: now - 22 * HOUR, text: "Oliver changed their phone number to +44 7700 900155" }),
      message({
        direction: "inbound",
        kind: "interactive",
        sentAt: now - 20 * HOUR,
        text: "Tue 10:00–12:00",
        extras: { payload: "SLOT_TUE_AM", buttonTitle: "Tue 10:00–12:00" },
      }),
      message({
        direction: "outbound",
        kind: "template",
        sentAt: now - 20 * HOUR + 4 * MIN,
        text: "Hi Oliver, your order #2318 is confirmed for delivery on Tuesday between 10:00 and 12:00.",
      }),
      message({
        direction: "outbound",
        kind: "file",
        sentAt: now - 20 * HOUR + 5 * MIN,
        status: "delivered",
        attachments: [attachment({ kind: "file", mimeType: "application/pdf", filename: "Receipt-2318.pdf", sizeBytes: 96_300 })],
      }),
      message({
        direction: "outbound",
        kind: "audio",
        sentAt: now - 20 * HOUR + 6 * MIN,
        status: "played",
        attachments: [attachment({ kind: "audio", voice: true, mimeType: "audio/ogg" })],
      }),
      message({
        direction: "inbound",
        kind: "video",
        sentAt: now - 19 * HOUR,
        extras: { forwarded: true },
        attachments: [attachment({ kind: "video", mimeType: "video/mp4", sizeBytes: 4_400_000 })],
      }),
      message({ direction: "inbound", sentAt: now - 12 * MIN, text: "Thanks! Can the driver leave it with the concierge if I'm out?" }),
    ],
  };

  const mia: FakeConversation = {
    id: "c-mia",
    platform: "instagram",
    account: ACCOUNTS.instagram,
    contact: contact("p-mia", { name: "Mia Chen", handle: "mia.chen.studio", platformUserId: "17841400004321" }),
    state: "open",
    unreadCount: 0,
    markedUnread: false,
    messages: [
      message({
        direction: "inbound",
        kind: "story_mention",
        sentAt: now - 30 * HOUR,
        attachments: [attachment({ kind: "story", url: photo("#c9e4d2", "#6fae8a") })],
      }),
      message({
        direction: "outbound",
        sentAt: now - 29 * HOUR,
        text: "Thank you for the shout-out, Mia! 💐",
        reactions: [
          { actor: "contact", emoji: "❤️" },
          { actor: "business", emoji: "❤️" },
        ],
      }),
      message({ direction: "inbound", kind: "image", sentAt: now - 28 * HOUR - 5 * MIN, attachments: [attachment({ kind: "unavailable" })] }),
      message({ direction: "inbound", sentAt: now - 28 * HOUR, text: "Do you do wedding flowers? We're looking at a date in September." }),
    ],
  };

  return [amelia, noah, sofia, grace, lena, stranger, oliver, mia, ...pastCustomers(now)];
}

const PAST = [
  "Harriet Cole",
  "James O'Neill",
  "Priya Shah",
  "Tom Walsh",
  "Chloe Martin",
  "Ravi Patel",
  "Emma Lewis",
  "Daniel Price",
  "Zara Ahmed",
  "Lucy Brooks",
  "Marco Bianchi",
  "Isla Grant",
  "Ethan Hughes",
  "Ava Turner",
];

/** Finished conversations: enough to need a second page in the Done view. */
function pastCustomers(now: number): FakeConversation[] {
  const platforms: Platform[] = ["messenger", "instagram", "whatsapp"];
  return Array.from({ length: 56 }, (_, i) => {
    const platform = platforms[i % 3]!;
    const name = `${PAST[i % PAST.length]!}${i >= PAST.length ? ` ${String.fromCharCode(65 + Math.floor(i / PAST.length))}.` : ""}`;
    const at = now - 8 * DAY - i * 19 * HOUR;
    return {
      id: `c-past-${i}`,
      platform,
      account: ACCOUNTS[platform],
      contact: contact(`p-past-${i}`, { name, phone: platform === "whatsapp" ? `+44 7700 9${String(10000 + i).slice(1)}` : null }),
      state: "done",
      unreadCount: 0,
      markedUnread: false,
      messages: [
        message({ direction: "inbound", sentAt: at, text: "Thank you, the flowers were beautiful!" }),
        message({ direction: "outbound", sentAt: at + 20 * MIN, text: "So glad you liked them — see you next time!" }),
      ],
    };
  });
}

/** The conversation the test makes arrive while the window is open. */
export function arrivingConversation(now: number): FakeConversation {
  return {
    id: "c-harper",
    platform: "whatsapp",
    account: ACCOUNTS.whatsapp,
    contact: contact("p-harper", { name: "Harper Lewis", phone: "+44 7700 900999", platformUserId: "447700900999" }),
    state: "open",
    unreadCount: 1,
    markedUnread: false,
    messages: [message({ direction: "inbound", sentAt: now, text: "Hi! Are you open on Sunday? I'd love to pick up a bouquet." })],
  };
}

/** A WhatsApp customer who last wrote 26 hours ago: only a template can answer. */
export function lateWhatsappConversation(now: number): FakeConversation {
  return {
    id: "c-noor",
    platform: "whatsapp",
    account: ACCOUNTS.whatsapp,
    contact: contact("p-noor", { name: "Noor Haddad", phone: "+44 7700 900123", platformUserId: "447700900123" }),
    state: "open",
    unreadCount: 0,
    markedUnread: false,
    messages: [message({ direction: "inbound", sentAt: now - 26 * HOUR, text: "Is order 4411 ready for pick-up?" })],
  };
}
