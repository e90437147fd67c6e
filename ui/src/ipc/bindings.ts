// Generated from src-tauri/engine/src/facade/ipc.rs by the `bindings` test. Do not edit.
// Regenerate: CAHTS_BLESS=1 cargo test -p cahts-engine --test it bindings

export type Platform = "messenger" | "instagram" | "whatsapp";

export type Direction = "inbound" | "outbound";

export type MessageKind = "text" | "image" | "video" | "audio" | "file" | "sticker" | "location" | "contacts" | "share" | "story_mention" | "postback" | "interactive" | "button" | "referral" | "system" | "unsupported" | "template";

export type AttachmentKind = "image" | "video" | "audio" | "file" | "sticker" | "share" | "reel" | "story" | "unavailable";

export type DeliveryStatus = "pending" | "sent" | "failed" | "delivered" | "read" | "played";

export type Actor = "contact" | "business";

export type Attachment = { kind: AttachmentKind | null, mimeType: string | null, 
/**
 * Remote URL (Messenger/IG CDN, WhatsApp lookaside URL). Such URLs expire.
 */
url: string | null, 
/**
 * WhatsApp media id, downloadable for a limited time.
 */
mediaId: string | null, filename: string | null, sizeBytes: number | null, sha256: string | null, 
/**
 * Title of a shared link or post, when the platform gives one.
 */
title: string | null, 
/**
 * WhatsApp voice note (as opposed to an audio file); animated sticker.
 */
voice?: boolean, animated?: boolean, 
/**
 * Where the downloaded copy lives on this computer, once downloaded.
 */
localPath: string | null, 
/**
 * A small JPEG of a downloaded image, for the thread.
 */
thumbnailPath?: string | null, 
/**
 * Why the media will not be on this computer (gone from Meta, too big, not what it
 * claimed to be); absent while it is on its way or once it is here.
 */
downloadError?: string | null, };

export type Location = { latitude: number, longitude: number, name: string | null, address: string | null, url: string | null, };

export type ContactCard = { name: string, phones: Array<string>, emails: Array<string>, organization: string | null, };

export type Referral = { 
/**
 * `ADS`, `SHORTLINK`, `ad`, `post`...: as the platform says it.
 */
source: string | null, 
/**
 * The `ref` parameter of the link.
 */
refParam: string | null, adId: string | null, headline: string | null, body: string | null, sourceUrl: string | null, productId: string | null, };

export type PlatformError = { code: number | null, title: string | null, detail: string | null, };

export type MessageExtras = { location: Location | null, contacts?: Array<ContactCard>, 
/**
 * Payload of a tapped quick reply, postback, interactive reply or template button.
 */
payload: string | null, 
/**
 * Title shown on the tapped button / list row, when it differs from `text`.
 */
buttonTitle: string | null, referral: Referral | null, 
/**
 * The platform could not show this message (WhatsApp 131051 and friends).
 */
error: PlatformError | null, 
/**
 * WhatsApp `context.forwarded` / `frequently_forwarded`.
 */
forwarded?: boolean, 
/**
 * Instagram test message the account sent itself (`is_self`).
 */
isSelf?: boolean, 
/**
 * For an echo: the Meta app that sent it (`app_id`), when not this one.
 */
appId: string | null, 
/**
 * For an echo: the `metadata` string passed on send (our outbox client id).
 */
sendMetadata: string | null, 
/**
 * WhatsApp `system.wa_id`: the new number after `user_changed_number`.
 */
newWaId: string | null, };

export type ConversationState = "open" | "done";

export type ConversationFilter = { platform: Platform | null, 
/**
 * An account id from [`AccountRef::id`].
 */
accountId: number | null, unreadOnly: boolean, state: ConversationState | null, };

export type ListConversationsRequest = { filter: ConversationFilter, 
/**
 * `nextCursor` of the previous page; absent for the first page.
 */
cursor: string | null, 
/**
 * Page size, 1..=200; 50 when absent.
 */
limit: number | null, };

export type AccountStatus = "unverified" | "connected" | "needs_reconnect" | "rate_limited" | "unsubscribed" | "disconnected";

export type Login = "facebook" | "instagram" | "whatsapp";

export type ReplyWindow = { "state": "open", until: number, } | { "state": "humanAgent", until: number, } | { "state": "templateOnly" } | { "state": "waiting" } | { "state": "closed" };

export type AccountRef = { id: number, platform: Platform, 
/**
 * Page id, Instagram account id or WhatsApp phone-number id.
 */
assetId: string, name: string | null, status: AccountStatus, };

export type ContactRef = { id: string, 
/**
 * PSID, IGSID, WhatsApp BSUID or number.
 */
platformUserId: string, name: string | null, handle: string | null, phone: string | null, avatarUrl: string | null, };

export type MessagePreview = { direction: Direction, kind: MessageKind, text: string | null, deleted: boolean, status: DeliveryStatus | null, attachmentCount: number, };

export type ConversationSummary = { id: string, platform: Platform, account: AccountRef, contact: ContactRef, preview: MessagePreview | null, lastMessageAt: number | null, unreadCount: number, markedUnread: boolean, 
/**
 * Newest inbound message: the start of the platform's reply window.
 */
lastInboundAt: number | null, 
/**
 * Whether and how the business may answer, as of when this was read; the window asks
 * again at [`ReplyWindow::changes_at`].
 */
replyWindow: ReplyWindow, state: ConversationState, };

export type ConversationPage = { items: Array<ConversationSummary>, nextCursor: string | null, };

export type ThreadRequest = { conversationId: string, 
/**
 * `nextCursor` of the previous page (older messages); absent for the newest page.
 */
cursor: string | null, 
/**
 * Page size, 1..=500; 60 when absent.
 */
limit: number | null, };

export type Reaction = { actor: Actor, emoji: string, };

export type Quoted = { "type": "message", mid: string, 
/**
 * Absent when the quoted message is not in the store (older than the history).
 */
direction: Direction | null, kind: MessageKind | null, text: string | null, deleted: boolean, } | { "type": "story", url: string | null, };

export type Failure = { code: number | null, reason: string | null, };

export type ThreadMessage = { id: string, 
/**
 * The platform's message id.
 */
mid: string, direction: Direction, kind: MessageKind, 
/**
 * What to show: the latest edit; absent for unsent messages and media without caption.
 */
text: string | null, edited: boolean, deleted: boolean, sentAt: number, 
/**
 * Outbound only.
 */
status: DeliveryStatus | null, failure: Failure | null, attachments: Array<Attachment>, reactions: Array<Reaction>, quoted: Quoted | null, extras: MessageExtras, };

export type ThreadPage = { conversation: ConversationSummary, 
/**
 * Newest first.
 */
messages: Array<ThreadMessage>, nextCursor: string | null, };

export type SearchRequest = { query: string, 
/**
 * Message hits, 1..=200; 50 when absent.
 */
limit: number | null, };

export type SnippetPart = { text: string, highlight: boolean, };

export type MessageHit = { conversationId: string, messageId: string, platform: Platform, contactName: string | null, direction: Direction, sentAt: number, snippet: Array<SnippetPart>, };

export type SearchResults = { 
/**
 * Conversations whose contact name, handle or number matched.
 */
conversations: Array<ConversationSummary>, 
/**
 * Matching messages, newest first.
 */
messages: Array<MessageHit>, };

export type PlatformCount = { platform: Platform, conversations: number, unread: number, };

export type Counts = { conversations: number, 
/**
 * Conversations with unread messages or marked unread.
 */
unread: number, open: number, done: number, byPlatform: Array<PlatformCount>, messages: number, };

export type ConversationRef = { conversationId: string, };

export type SetStateRequest = { conversationId: string, state: ConversationState, };

export type StoreMode = "real" | "demo";

export type AppStatus = { mode: StoreMode, 
/**
 * No conversations yet: the window shows the first-run screen.
 */
empty: boolean, storePath: string, };

export type StoreChanged = { 
/**
 * Conversations whose list entry or thread may have changed.
 */
conversationIds: Array<string>, 
/**
 * Too much changed to list (bulk import, store switched): reload everything.
 */
everything: boolean, };

export type ErrorCode = "Validation" | "Cancelled" | "NotFound" | "StoreUnavailable" | "RelayUnavailable" | "RelayRefused" | "KeyringUnavailable" | "MetaRefused" | "MetaUnavailable" | "Internal";

export type UiError = { code: ErrorCode, 
/**
 * Written for the business owner.
 */
message: string, 
/**
 * The next step, when there is one.
 */
action: string | null, };

export type LinkStatus = { "state": "notPaired" } | { "state": "connecting", relay: string, } | { "state": "syncing", relay: string, pending: number, } | { "state": "live", relay: string, } | { "state": "offline", relay: string, error: string, retryInMs: number, } | { "state": "needsAttention", relay: string, error: string, };

export type RelayStatus = { link: LinkStatus, 
/**
 * Set once paired.
 */
relayUrl: string | null, deviceId: string | null, tenant: string | null, };

export type PairRelayRequest = { 
/**
 * e.g. `https://relay.example.com`
 */
relayUrl: string, 
/**
 * From `cahts-relay pair` on the relay.
 */
code: string, 
/**
 * How the relay lists this computer; default: a name derived from the host.
 */
deviceName: string | null, };

export type AccountView = { id: number, platform: Platform, 
/**
 * Page id, Instagram account id or WhatsApp phone-number id.
 */
assetId: string, displayName: string | null, status: AccountStatus, statusDetail: string | null, rateLimitedUntil: number | null, login: Login | null, 
/**
 * The WhatsApp Business Account of a number (its templates live there).
 */
businessId: string | null, 
/**
 * When the token stops working (Instagram Login tokens last 60 days and are refreshed
 * before); absent for tokens that do not expire.
 */
tokenExpiresAt: number | null, 
/**
 * History loading started by this app run, while it runs and after it ended.
 */
history: HistoryProgress | null, };

export type HistoryProgress = { running: boolean, conversations: number, 
/**
 * Why it stopped early, with what to do.
 */
error: string | null, };

export type PageChoice = { pageId: string, name: string, instagramId: string | null, instagramUsername: string | null, };

export type ConnectWhatsappRequest = { 
/**
 * WhatsApp → API setup → Phone number ID.
 */
phoneNumberId: string, 
/**
 * A system-user token. Goes to the keyring, never to the store or the log.
 */
token: string, 
/**
 * WhatsApp Business Account id, for templates; found from the token when absent.
 */
businessAccountId: string | null, };

export type FacebookLogin = { state: string, authorizeUrl: string, };

export type FacebookLoginRef = { state: string, };

export type FacebookLoginStatus = { "state": "waiting" } | { "state": "ready", pages: Array<PageChoice>, } | { "state": "failed", message: string, };

export type ConnectPagesRequest = { state: string, pageIds: Array<string>, withInstagram: boolean, };

export type DisconnectRequest = { accountId: number, 
/**
 * Also delete the account's conversations from this computer.
 */
deleteData: boolean, };

export type ReportRequest = { 
/**
 * First day, `YYYY-MM-DD`, in the computer's time zone.
 */
from: string, 
/**
 * Last day, included.
 */
to: string, platform: Platform | null, accountId: number | null, };

export type BusinessHours = { 
/**
 * Open weekdays, Monday = 0 … Sunday = 6.
 */
days: Array<number>, 
/**
 * Opening time, minutes after local midnight.
 */
opensAt: number, 
/**
 * Closing time, minutes after local midnight; 1440 is midnight at the day's end.
 */
closesAt: number, };

export type SetBusinessHoursRequest = { hours: BusinessHours | null, };

export type Volume = { messenger: number, instagram: number, whatsapp: number, };

export type Period = { 
/**
 * `YYYY-MM-DD` for a day, `YYYY-Www` for a week.
 */
label: string, inbound: Volume, outbound: Volume, newConversations: Volume, };

export type Durations = { count: number, medianMs: number | null, p90Ms: number | null, 
/**
 * Meta's figure: the average of the fastest 90 %.
 */
fastest90AverageMs: number | null, };

export type Totals = { inbound: number, outbound: number, newConversations: number, 
/**
 * Customers who asked (after 24 h of quiet) in the range.
 */
waits: number, 
/**
 * Of those, answered at all.
 */
answered: number, firstResponse: Durations, 
/**
 * From the customer's ask to Done, for conversations marked done in the range.
 */
resolution: Durations, 
/**
 * Business messages sent 24 hours or more after the customer's latest message.
 */
lateReplies: number, };

export type Figures = { totals: Totals, days: Array<Period>, weeks: Array<Period>, 
/**
 * Inbound messages by weekday (Monday first) and local hour.
 */
heatMap: Array<Array<number>>, 
/**
 * How many first responses took how long, for the distribution chart.
 */
responseTimes: Array<ResponseBucket>, 
/**
 * The totals of each platform with messages in the range (the per-platform table).
 */
byPlatform: Array<PlatformTotals>, };

export type ResponseBucket = { label: string, 
/**
 * Up to this many milliseconds (excluded); `None` for the last band.
 */
upToMs: number | null, count: number, };

export type PlatformTotals = { platform: Platform, inbound: number, outbound: number, newConversations: number, 
/**
 * Customers who asked (after 24 h of quiet) in the range.
 */
waits: number, 
/**
 * Of those, answered at all.
 */
answered: number, firstResponse: Durations, 
/**
 * From the customer's ask to Done, for conversations marked done in the range.
 */
resolution: Durations, 
/**
 * Business messages sent 24 hours or more after the customer's latest message.
 */
lateReplies: number, };

export type SlowConversation = { conversationId: string, platform: Platform, contactName: string | null, askedAt: number, 
/**
 * `None`: not answered yet.
 */
firstResponseMs: number | null, };

export type Report = { from: string, to: string, timeZone: string, 
/**
 * Set: response and resolution times count only these hours.
 */
businessHours: BusinessHours | null, figures: Figures, 
/**
 * The same figures over the same number of days just before.
 */
previous: Totals, slowest: Array<SlowConversation>, 
/**
 * Open conversations whose newest message is the customer's.
 */
unansweredNow: number, waitingLongest: Array<SlowConversation>, };

export type LiveCounters = { 
/**
 * Today in the computer's time zone.
 */
date: string, inboundToday: number, unansweredNow: number, 
/**
 * First responses to customers who asked today.
 */
medianResponseTodayMs: number | null, };

export type ReportCsv = "daily" | "conversations" | "messages";

export type ReportCsvRequest = { report: ReportRequest, kind: ReportCsv, 
/**
 * Message texts in the messages file.
 */
withText: boolean, path: string, 
/**
 * Set by the window to follow the export's progress and cancel it.
 */
exportId: string | null, };

export type ReportCsvWritten = { rows: number, path: string, };

export type ExportRef = { exportId: string, };

export type ExportProgress = { rows: number, 
/**
 * How many rows the file will have, when known before it is written.
 */
total: number | null, };

export type Paper = "a4" | "letter";

export type ReportPdfRequest = { report: ReportRequest, paper: Paper, path: string, };

export type ReportPdfWritten = { pages: number, bytes: number, path: string, };

export type DisconnectResult = { 
/**
 * Set when Meta could not be told (the account is disconnected here regardless).
 */
warning: string | null, };

export type SendTextRequest = { conversationId: string, text: string, 
/**
 * Platform id of the message this answers.
 */
replyTo: string | null, };

export type OutboxRef = { 
/**
 * The id a sent message carries until Meta gives it one (`local:<clientId>`).
 */
clientId: string, };

export type InstagramLoginStatus = { "state": "waiting" } | { "state": "connected", account: AccountView, } | { "state": "failed", message: string, };

export type SendMediaRequest = { conversationId: string, 
/**
 * A file on this computer (picked in the file dialog); copied before it is queued.
 */
path: string, caption: string | null, replyTo: string | null, };

export type OutboxRefs = { clientIds: Array<string>, };

export type SendTemplateRequest = { conversationId: string, name: string, language: string, 
/**
 * Values for `{{1}}`, `{{2}}`… of the template's body, in order.
 */
parameters: Array<string>, };

export type ReactRequest = { conversationId: string, 
/**
 * Platform id of the message.
 */
messageId: string, 
/**
 * `None` takes the business's reaction back.
 */
emoji: string | null, };

export type Template = { name: string, language: string, category: string | null, 
/**
 * The body with `{{1}}`, `{{2}}`… where the values go.
 */
body: string, 
/**
 * How many values the body needs.
 */
parameters: number, };

/** Every command: its request (passed as `request`) and its response. */
export interface Commands {
  app_status: { request: undefined; response: AppStatus };
  list_conversations: { request: ListConversationsRequest; response: ConversationPage };
  get_thread: { request: ThreadRequest; response: ThreadPage };
  search: { request: SearchRequest; response: SearchResults };
  get_counts: { request: undefined; response: Counts };
  mark_read: { request: ConversationRef; response: void };
  mark_unread: { request: ConversationRef; response: void };
  set_conversation_state: { request: SetStateRequest; response: void };
  enter_demo: { request: undefined; response: AppStatus };
  exit_demo: { request: undefined; response: AppStatus };
  relay_status: { request: undefined; response: RelayStatus };
  pair_relay: { request: PairRelayRequest; response: RelayStatus };
  list_accounts: { request: undefined; response: Array<AccountView> };
  connect_whatsapp: { request: ConnectWhatsappRequest; response: AccountView };
  begin_facebook_login: { request: undefined; response: FacebookLogin };
  facebook_login_status: { request: FacebookLoginRef; response: FacebookLoginStatus };
  connect_pages: { request: ConnectPagesRequest; response: Array<AccountView> };
  disconnect_account: { request: DisconnectRequest; response: DisconnectResult };
  send_text: { request: SendTextRequest; response: OutboxRef };
  send_media: { request: SendMediaRequest; response: OutboxRefs };
  list_templates: { request: ConversationRef; response: Array<Template> };
  send_template: { request: SendTemplateRequest; response: OutboxRef };
  react: { request: ReactRequest; response: OutboxRef };
  begin_instagram_login: { request: undefined; response: FacebookLogin };
  instagram_login_status: { request: FacebookLoginRef; response: InstagramLoginStatus };
  retry_send: { request: OutboxRef; response: void };
  discard_send: { request: OutboxRef; response: void };
  get_report: { request: ReportRequest; response: Report };
  live_counters: { request: undefined; response: LiveCounters };
  save_report_csv: { request: ReportCsvRequest; response: ReportCsvWritten };
  save_report_pdf: { request: ReportPdfRequest; response: ReportPdfWritten };
  set_business_hours: { request: SetBusinessHoursRequest; response: void };
  export_progress: { request: ExportRef; response: ExportProgress | null };
  cancel_export: { request: ExportRef; response: void };
}

export const STORE_CHANGED_EVENT = "store://changed";
export const RELAY_STATUS_EVENT = "relay://status";
/** Every `LinkStatus["state"]`, for checking an event's payload at run time. */
export const LINK_STATES = ["notPaired", "connecting", "syncing", "live", "offline", "needsAttention"] as const;
