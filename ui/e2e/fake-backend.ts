/**
 * An in-memory stand-in for the engine behind the Tauri commands, for the Chromium
 * test only. It follows the contract in bindings.ts: keyset-style opaque cursors,
 * newest-first thread pages, UiError rejections, the real/demo store switch.
 */
import type {
  AccountView,
  AppStatus,
  RelayStatus,
  Commands,
  ConversationFilter,
  ConversationSummary,
  Durations,
  MessagePreview,
  Period,
  BusinessHours,
  Report,
  ReportRequest,
  Totals,
  Volume,
  Platform,
  ReplyWindow,
  SnippetPart,
  StoreMode,
  ThreadMessage,
  UiError,
} from "../src/ipc/bindings";
import { NO_EXTRAS, demoConversations, type FakeConversation } from "./fixtures";

type Handlers = { [K in keyof Commands]: (request: Commands[K]["request"]) => Commands[K]["response"] | Promise<Commands[K]["response"]> };

export type Call = { cmd: string; request: unknown };

const DAY = 24 * 3600 * 1000;

/** What the engine answers for the reply window (its rule, restated for this stand-in). */
function replyWindowAt(platform: Platform, lastInboundAt: number | null, now: number): ReplyWindow {
  if (lastInboundAt === null) return platform === "whatsapp" ? { state: "templateOnly" } : { state: "waiting" };
  if (now < lastInboundAt + DAY) return { state: "open", until: lastInboundAt + DAY };
  if (platform === "whatsapp") return { state: "templateOnly" };
  if (now < lastInboundAt + 7 * DAY) return { state: "humanAgent", until: lastInboundAt + 7 * DAY };
  return { state: "closed" };
}

function summary(c: FakeConversation): ConversationSummary {
  const last = c.messages[c.messages.length - 1];
  const lastInbound = [...c.messages].reverse().find((m) => m.direction === "inbound" && m.kind !== "system");
  const preview: MessagePreview | null = last
    ? {
        direction: last.direction,
        kind: last.kind,
        text: last.kind === "file" ? (last.attachments[0]?.filename ?? last.text) : last.text,
        deleted: last.deleted,
        status: last.status,
        attachmentCount: last.attachments.length,
      }
    : null;
  return {
    id: c.id,
    platform: c.platform,
    account: c.account,
    contact: c.contact,
    preview,
    lastMessageAt: last?.sentAt ?? null,
    unreadCount: c.unreadCount,
    markedUnread: c.markedUnread,
    lastInboundAt: lastInbound?.sentAt ?? null,
    replyWindow: replyWindowAt(c.platform, lastInbound?.sentAt ?? null, Date.now()),
    state: c.state,
  };
}

const NO_VOLUME: Volume = { messenger: 0, instagram: 0, whatsapp: 0 };
const NO_DURATIONS: Durations = { count: 0, medianMs: null, p90Ms: null, fastest90AverageMs: null };

const dayLabel = (day: Date) => `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;

/** Days from `from` to `to` (YYYY-MM-DD, local), each with its [start, end) in ms. */
function localDays(from: string, to: string): { label: string; start: number; end: number }[] {
  const days = [];
  const [y = 1970, m = 1, d = 1] = from.split("-").map(Number);
  for (let day = new Date(y, m - 1, d); ; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
    const label = dayLabel(day);
    if (label > to) return days;
    days.push({ label, start: day.getTime(), end: new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1).getTime() });
  }
}

let businessHours: BusinessHours | null = null;
const exports = new Map<string, { rows: number; total: number; cancelled: boolean }>();

/** The engine's daily volumes over the fixtures (the rest of a report is left empty here). */
function fakeReport(conversations: FakeConversation[], request: ReportRequest): Report {
  const days: Period[] = localDays(request.from, request.to).map(({ label, start, end }) => {
    const inbound = { ...NO_VOLUME };
    const outbound = { ...NO_VOLUME };
    for (const c of conversations.filter((c) => request.platform === null || c.platform === request.platform)) {
      for (const m of c.messages.filter((m) => m.sentAt >= start && m.sentAt < end && m.kind !== "system")) {
        (m.direction === "inbound" ? inbound : outbound)[c.platform] += 1;
      }
    }
    return { label, inbound, outbound, newConversations: { ...NO_VOLUME } };
  });
  const sum = (v: Volume) => v.messenger + v.instagram + v.whatsapp;
  const totals: Totals = {
    inbound: days.reduce((n, d) => n + sum(d.inbound), 0),
    outbound: days.reduce((n, d) => n + sum(d.outbound), 0),
    newConversations: 0,
    waits: 0,
    answered: 0,
    firstResponse: NO_DURATIONS,
    resolution: NO_DURATIONS,
    lateReplies: 0,
  };
  const empty: Totals = { ...totals, inbound: 0, outbound: 0 };
  return {
    from: request.from,
    to: request.to,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    businessHours,
    figures: {
      totals,
      days,
      weeks: [],
      heatMap: Array.from({ length: 7 }, () => Array<number>(24).fill(0)),
      responseTimes: [{ label: "< 5 min", upToMs: 300_000, count: 0 }],
      byPlatform: [],
    },
    previous: empty,
    slowest: [],
    unansweredNow: 0,
    waitingLongest: [],
  };
}

function matches(c: FakeConversation, f: ConversationFilter): boolean {
  return (
    (f.platform === null || c.platform === f.platform) &&
    (f.accountId === null || c.account.id === f.accountId) &&
    (!f.unreadOnly || c.unreadCount > 0 || c.markedUnread) &&
    (f.state === null || c.state === f.state)
  );
}

function bad(message: string): UiError {
  return { code: "Validation", message, action: null };
}

function decodeCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  const m = /^o(\d+)$/.exec(cursor);
  if (!m) throw bad("That page of results is no longer valid.");
  return Number(m[1]);
}

function page<T>(all: T[], cursor: string | null, limit: number): { items: T[]; nextCursor: string | null } {
  const start = decodeCursor(cursor);
  const items = all.slice(start, start + limit);
  return { items, nextCursor: start + limit < all.length ? `o${start + limit}` : null };
}

/** Parts around each case-insensitive match, trimmed to a window around the first. */
export function snippet(text: string, query: string): SnippetPart[] {
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  const first = lower.indexOf(q);
  let start = Math.max(0, first - 32);
  const end = Math.min(text.length, first + q.length + 64);
  if (start > 0) start = text.indexOf(" ", start) + 1 || start;
  const parts: SnippetPart[] = [];
  if (start > 0) parts.push({ text: "…", highlight: false });
  let i = start;
  while (i < end) {
    const at = lower.indexOf(q, i);
    if (at === -1 || at >= end) {
      parts.push({ text: text.slice(i, end), highlight: false });
      break;
    }
    if (at > i) parts.push({ text: text.slice(i, at), highlight: false });
    parts.push({ text: text.slice(at, at + q.length), highlight: true });
    i = at + q.length;
  }
  if (end < text.length) parts.push({ text: "…", highlight: false });
  return parts;
}

export function createFakeBackend(now: number) {
  const stores: Record<StoreMode, FakeConversation[]> = { real: [], demo: [] };
  let mode: StoreMode = "real";
  let relay: RelayStatus = { link: { state: "notPaired" }, relayUrl: null, deviceId: null, tenant: null };
  /** The one code the fake relay accepts (as if printed by `cahts-relay pair`). */
  const RELAY_CODE = "K7QM-2XHD-9PFA-WB3T";
  let accounts: AccountView[] = [];
  let nextAccount = 1;
  /** Polls of the Facebook Login before it completes (the owner is in the browser). */
  let loginPolls = 0;
  type NewAccount = Omit<AccountView, "id" | "status" | "statusDetail" | "rateLimitedUntil" | "login" | "businessId" | "tokenExpiresAt" | "history"> &
    Partial<Pick<AccountView, "login" | "businessId" | "tokenExpiresAt">>;
  const addAccount = (a: NewAccount): AccountView => {
    const account: AccountView = {
      login: a.platform === "whatsapp" ? "whatsapp" : "facebook",
      businessId: null,
      tokenExpiresAt: null,
      ...a,
      // Connected Pages and Instagram accounts load their history, as the engine does.
      history: a.platform === "whatsapp" ? null : { running: true, conversations: 0, error: null },
      id: nextAccount++,
      status: "connected",
      statusDetail: null,
      rateLimitedUntil: null,
    };
    accounts = [...accounts.filter((x) => x.assetId !== a.assetId), account];
    return account;
  };
  const calls: Call[] = [];
  const failures = new Map<string, { error: UiError; left: number; match: (request: unknown) => boolean }>();

  const store = () => stores[mode];
  const find = (id: string) => {
    const c = store().find((x) => x.id === id);
    if (!c) throw { code: "NotFound", message: "This conversation is no longer in your inbox.", action: null } satisfies UiError;
    return c;
  };
  const status = (): AppStatus => ({ mode, empty: store().length === 0, storePath: `/home/owner/.local/share/cahts/${mode}.sqlite` });
  const byRecency = (a: FakeConversation, b: FakeConversation) => (summary(b).lastMessageAt ?? 0) - (summary(a).lastMessageAt ?? 0) || a.id.localeCompare(b.id);

  const handlers: Handlers = {
    app_status: () => status(),
    list_conversations: ({ filter, cursor, limit }) => {
      const all = store()
        .filter((c) => matches(c, filter))
        .sort(byRecency)
        .map(summary);
      return page(all, cursor, limit ?? 50);
    },
    get_thread: ({ conversationId, cursor, limit }) => {
      const c = find(conversationId);
      const newestFirst = [...c.messages].sort((a, b) => b.sentAt - a.sentAt);
      const p = page(newestFirst, cursor, limit ?? 60);
      return { conversation: summary(c), messages: p.items, nextCursor: p.nextCursor };
    },
    search: ({ query, limit }) => {
      const q = query.trim().toLowerCase();
      if (!q) throw bad("Type something to search for.");
      const people = store()
        .filter((c) => [c.contact.name, c.contact.handle, c.contact.phone].some((s) => s?.toLowerCase().includes(q)))
        .sort(byRecency)
        .map(summary);
      const hits = store()
        .flatMap((c) =>
          c.messages
            .filter((m): m is ThreadMessage & { text: string } => !m.deleted && !!m.text?.toLowerCase().includes(q))
            .map((m) => ({
              conversationId: c.id,
              messageId: m.id,
              platform: c.platform,
              contactName: c.contact.name ?? c.contact.handle ?? c.contact.phone,
              direction: m.direction,
              sentAt: m.sentAt,
              snippet: snippet(m.text, q),
            })),
        )
        .sort((a, b) => b.sentAt - a.sentAt)
        .slice(0, limit ?? 50);
      return { conversations: people, messages: hits };
    },
    get_counts: () => {
      const all = store();
      const unread = (c: FakeConversation) => c.unreadCount > 0 || c.markedUnread;
      return {
        conversations: all.length,
        unread: all.filter(unread).length,
        open: all.filter((c) => c.state === "open").length,
        done: all.filter((c) => c.state === "done").length,
        byPlatform: (["messenger", "instagram", "whatsapp"] as const).map((platform) => {
          const mine = all.filter((c) => c.platform === platform);
          return { platform, conversations: mine.length, unread: mine.filter(unread).length };
        }),
        messages: all.reduce((n, c) => n + c.messages.length, 0),
      };
    },
    mark_read: ({ conversationId }) => {
      const c = find(conversationId);
      c.unreadCount = 0;
      c.markedUnread = false;
    },
    mark_unread: ({ conversationId }) => {
      find(conversationId).markedUnread = true;
    },
    set_conversation_state: ({ conversationId, state }) => {
      find(conversationId).state = state;
    },
    enter_demo: () => {
      mode = "demo";
      // Generated fresh each time, as the engine regenerates its demo file.
      stores.demo = demoConversations(now);
      return status();
    },
    exit_demo: () => {
      mode = "real";
      return status();
    },
    list_accounts: () => {
      // Each look finds twelve more conversations loaded, up to 36.
      for (const a of accounts) {
        if (a.history?.running) {
          const conversations = a.history.conversations + 12;
          a.history = { running: conversations < 36, conversations, error: null };
        }
      }
      return accounts;
    },
    connect_whatsapp: ({ phoneNumberId, token }) => {
      if (token !== "EAAG-system-user-token") {
        throw {
          code: "MetaRefused",
          message: "Meta refused: Invalid OAuth access token - Cannot parse access token",
          action: "Check the token (or log in again) and try again.",
        } satisfies UiError;
      }
      return addAccount({ platform: "whatsapp", assetId: phoneNumberId, displayName: "Blumenhaus Lena (+49 30 901820)" });
    },
    begin_facebook_login: () => {
      loginPolls = 0;
      return { state: "k3J9sQ", authorizeUrl: "https://www.facebook.com/v24.0/dialog/oauth?client_id=4242&state=k3J9sQ&response_type=code" };
    },
    facebook_login_status: () =>
      loginPolls++ < 1
        ? { state: "waiting" }
        : {
            state: "ready",
            pages: [
              { pageId: "104628375019264", name: "Blumenhaus Lena", instagramId: "17841400000000001", instagramUsername: "blumenhaus.lena" },
              { pageId: "104628375019999", name: "Lena Events", instagramId: null, instagramUsername: null },
            ],
          },
    connect_pages: ({ pageIds, withInstagram }) => {
      const out: AccountView[] = [];
      for (const id of pageIds) {
        const name = id === "104628375019264" ? "Blumenhaus Lena" : "Lena Events";
        out.push(addAccount({ platform: "messenger", assetId: id, displayName: name }));
        if (withInstagram && id === "104628375019264") {
          out.push(addAccount({ platform: "instagram", assetId: "17841400000000001", displayName: "@blumenhaus.lena" }));
        }
      }
      return out;
    },
    get_report: (request) => fakeReport(store(), request),
    live_counters: () => {
      const date = dayLabel(new Date());
      const today = fakeReport(store(), { from: date, to: date, platform: null, accountId: null });
      const unanswered = store().filter((c) => c.state === "open" && c.messages[c.messages.length - 1]?.direction === "inbound");
      return { date, inboundToday: today.figures.totals.inbound, unansweredNow: unanswered.length, medianResponseTodayMs: null };
    },
    // Rows as the engine would write them; the file itself is the real window test's. A
    // messages file with texts is written slowly, a row per tick, so the window shows its
    // progress and can cancel it.
    save_report_csv: async ({ report, kind, withText, path, exportId }) => {
      const r = fakeReport(store(), report);
      const rows = kind === "daily" ? r.figures.days.length : kind === "messages" ? r.figures.totals.inbound + r.figures.totals.outbound : store().length;
      if (kind === "messages" && withText && exportId) {
        const total = 10_000;
        exports.set(exportId, { rows: 0, total, cancelled: false });
        for (let i = 0; i < total; i += 25) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const e = exports.get(exportId);
          if (!e) break;
          if (e.cancelled) {
            exports.delete(exportId);
            throw { code: "Cancelled", message: "Cancelled; nothing was saved.", action: null } satisfies UiError;
          }
          e.rows = i;
        }
        exports.delete(exportId);
        return { rows: total, path };
      }
      return { rows, path };
    },
    export_progress: ({ exportId }) => {
      const e = exports.get(exportId);
      return e ? { rows: e.rows, total: e.total } : null;
    },
    cancel_export: ({ exportId }) => {
      const e = exports.get(exportId);
      if (e) e.cancelled = true;
    },
    // The engine's own PDF is read back by the engine's and the real window's tests.
    save_report_pdf: ({ path }) => ({ pages: 3, bytes: 48_213, path }),
    set_business_hours: ({ hours }) => {
      if (hours !== null && hours.opensAt >= hours.closesAt) {
        throw { code: "Validation", message: "Closing time must come after opening time, on the same day.", action: null } satisfies UiError;
      }
      businessHours = hours;
    },
    disconnect_account: ({ accountId, deleteData }) => {
      accounts = deleteData ? accounts.filter((a) => a.id !== accountId) : accounts.map((a) => (a.id === accountId ? { ...a, status: "disconnected" } : a));
      return { warning: null };
    },
    send_media: ({ conversationId, path, caption }) => {
      const c = find(conversationId);
      const clientId = `c${c.messages.length + 1}`;
      const filename = path.split(/[\\/]/).pop() ?? "file";
      c.messages.push({
        extras: { ...NO_EXTRAS },
        id: `out-${clientId}`,
        mid: `m_sent_${clientId}`,
        direction: "outbound",
        kind: "file",
        text: caption,
        sentAt: Date.now(),
        status: "sent",
        failure: null,
        attachments: [
          { kind: "file", mimeType: "application/pdf", url: null, mediaId: null, filename, sizeBytes: 48_000, sha256: null, title: null, localPath: path },
        ],
        reactions: [],
        quoted: null,
        edited: false,
        deleted: false,
      });
      return { clientIds: [clientId] };
    },
    list_templates: ({ conversationId }) => {
      if (find(conversationId).platform !== "whatsapp") throw bad("Templates are a WhatsApp feature.");
      return [
        { name: "order_ready", language: "en_US", category: "UTILITY", body: "Hello {{1}}, your order {{2}} is ready.", parameters: 2 },
        { name: "thanks", language: "en_US", category: "UTILITY", body: "Thank you for your visit!", parameters: 0 },
      ];
    },
    send_template: ({ conversationId, name, parameters }) => {
      const c = find(conversationId);
      const clientId = `c${c.messages.length + 1}`;
      const body = name === "order_ready" ? `Hello ${parameters[0]}, your order ${parameters[1]} is ready.` : "Thank you for your visit!";
      c.messages.push({
        extras: { ...NO_EXTRAS },
        id: `out-${clientId}`,
        mid: `wamid.sent_${clientId}`,
        direction: "outbound",
        kind: "template",
        text: body,
        sentAt: Date.now(),
        status: "sent",
        failure: null,
        attachments: [],
        reactions: [],
        quoted: null,
        edited: false,
        deleted: false,
      });
      return { clientId };
    },
    react: ({ conversationId, messageId, emoji }) => {
      const m = find(conversationId).messages.find((x) => x.mid === messageId);
      if (!m) throw bad("Only a message that reached Meta can get a reaction.");
      m.reactions = m.reactions.filter((r) => r.actor !== "business");
      if (emoji) m.reactions.push({ actor: "business", emoji });
      return { clientId: "r1" };
    },
    begin_instagram_login: () => {
      loginPolls = 0;
      return { state: "ig7Q2", authorizeUrl: "https://www.instagram.com/oauth/authorize?client_id=990&state=ig7Q2&response_type=code" };
    },
    instagram_login_status: () =>
      loginPolls++ < 1
        ? { state: "waiting" }
        : { state: "connected", account: addAccount({ platform: "instagram", assetId: "17841400000000777", displayName: "@studio.kai", login: "instagram" }) },
    send_text: ({ conversationId, text, replyTo }) => {
      if (mode === "demo") throw bad("Demo conversations are not real: nothing can be sent from them.");
      const c = find(conversationId);
      const answered = replyTo ? c.messages.find((m) => m.mid === replyTo) : undefined;
      const clientId = `c${c.messages.length + 1}`;
      const failed = text.includes("outside the window");
      c.messages.push({
        extras: { ...NO_EXTRAS },
        id: `out-${clientId}`,
        mid: failed ? `local:${clientId}` : `m_sent_${clientId}`,
        direction: "outbound",
        kind: "text",
        text,
        sentAt: Date.now(),
        status: failed ? "failed" : "sent",
        failure: failed ? { code: 10, reason: "The reply window has closed for this conversation." } : null,
        attachments: [],
        reactions: [],
        quoted: answered
          ? { type: "message", mid: answered.mid, direction: answered.direction, kind: answered.kind, text: answered.text, deleted: answered.deleted }
          : null,
        edited: false,
        deleted: false,
      });
      return { clientId };
    },
    retry_send: ({ clientId }) => {
      for (const c of store()) for (const m of c.messages) if (m.mid === `local:${clientId}`) m.status = "pending";
    },
    discard_send: ({ clientId }) => {
      for (const c of store()) c.messages = c.messages.filter((m) => m.mid !== `local:${clientId}`);
    },
    relay_status: () => relay,
    pair_relay: ({ relayUrl, code }) => {
      if (!/^https?:\/\//.test(relayUrl)) {
        throw {
          code: "Validation",
          message: `Relay address '${relayUrl}' is not an http:// or https:// URL`,
          action: "Use the address your relay's operator gave you, starting with https://.",
        } satisfies UiError;
      }
      if (code.trim().toUpperCase() !== RELAY_CODE) {
        throw {
          code: "RelayRefused",
          message: "The relay refused the pairing code: pairing code is unknown or was already used",
          action: "Ask for a new code (cahts-relay pair on the relay) and enter it within 15 minutes.",
        } satisfies UiError;
      }
      relay = { link: { state: "live", relay: relayUrl }, relayUrl, deviceId: "1", tenant: "default" };
      return relay;
    },
  };

  return {
    calls,
    /**
     * The next `times` calls of `cmd` (those `match` accepts) reject with `error`. The
     * window retries a failed read once, so showing an error takes two.
     */
    failNext(cmd: keyof Commands, error: UiError, times = 1, match: (request: unknown) => boolean = () => true) {
      failures.set(cmd, { error, left: times, match });
    },
    /** A conversation arrives (as from the relay), without telling the window. */
    insert(c: FakeConversation) {
      store().push(c);
    },
    handle(cmd: string, args: unknown): unknown {
      // The mock boundary: arguments arrive untyped, exactly as over IPC.
      // Plugin commands take their arguments bare; ours wrap them in `request`.
      const request = cmd.startsWith("plugin:") ? args : (args as { request?: unknown } | undefined)?.request;
      calls.push({ cmd, request: request === undefined ? undefined : structuredClone(request) });
      const failure = failures.get(cmd);
      if (failure?.match(request)) {
        if (--failure.left <= 0) failures.delete(cmd);
        throw failure.error;
      }
      // Tauri plugins: the file dialog picks a fixed file; opening a URL is recorded only.
      if (cmd === "plugin:dialog|open") return "/home/lena/Documents/menu.pdf";
      if (cmd === "plugin:dialog|save") {
        const name = (request as { options?: { defaultPath?: string } } | undefined)?.options?.defaultPath ?? "report.csv";
        return `/home/lena/Documents/${name}`;
      }
      if (cmd === "plugin:opener|open_url") return null;
      if (!(cmd in handlers)) throw `Command ${cmd} not found`;
      const handler = handlers[cmd as keyof Commands] as (r: unknown) => unknown;
      const result = handler(request);
      // Results cross a process boundary in the real app: never share objects.
      const copy = (r: unknown) => (r === undefined ? null : structuredClone(r));
      return result instanceof Promise ? result.then(copy) : copy(result);
    },
  };
}

export type FakeBackend = ReturnType<typeof createFakeBackend>;
