// Chromium test of the window's content: builds the UI, serves it with `vite preview`,
// injects Tauri's IPC mock backed by an in-memory engine (e2e/fake-backend.ts), and walks
// the main flow. Screenshots land in ui/test-results/. Exits non-zero on any failure.
//
//   npm run test:browser            (CHROMIUM=/path/to/chromium to override the binary)

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(uiDir, "test-results");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const VIEWPORT = { width: 1280, height: 800 };

let passed = 0;
let failed = 0;

class AssertionFailed extends Error {}

function assert(condition, message) {
  if (!condition) throw new AssertionFailed(message);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`  ✗ ${name}\n      ${e instanceof AssertionFailed ? e.message : (e?.stack ?? e)}`);
    // Later steps build on earlier ones: stop at the first failure.
    throw e;
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vite preview did not answer on ${url} within ${timeoutMs} ms`);
}

async function bundleMock() {
  const out = await build({
    configFile: false,
    root: uiDir,
    logLevel: "warn",
    build: {
      write: false,
      minify: false,
      emptyOutDir: false,
      lib: { entry: path.join(uiDir, "e2e/mock-init.ts"), formats: ["iife"], name: "CahtsMock" },
    },
  });
  const outputs = Array.isArray(out) ? out : [out];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === "chunk");
  if (!chunk) throw new Error("bundling e2e/mock-init.ts produced no script");
  return chunk.code;
}

// ---------- page helpers ----------

const tid = (id) => `[data-testid="${id}"]`;
const row = (id) => `${tid("conversation-item")}[data-conversation-id="${id}"]`;

async function listIds(page) {
  // Rows are virtualized: sort by position, not DOM order.
  return page.$$eval(tid("conversation-item"), (els) =>
    els
      .map((el) => ({ id: el.getAttribute("data-conversation-id"), top: el.getBoundingClientRect().top }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.id),
  );
}

async function calls(page, cmd) {
  return page.evaluate((c) => window.__cahtsFake.calls.filter((x) => x.cmd === c), cmd);
}

async function waitUntil(page, fn, arg, message, timeout = 5000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch {
    throw new AssertionFailed(message);
  }
}

/**
 * Resolves once the window is idle: nothing in flight at the fake engine and no new call
 * between two looks at the call log (a refetch that follows a write starts a moment after
 * the write's answer, so one look at `inFlight` alone could fall in between).
 */
async function settled(page, message) {
  await page.evaluate(() => {
    window.__cahtsSeenCalls = -1;
  });
  await waitUntil(
    page,
    () => {
      const n = window.__cahtsFake.calls.length;
      const idle = window.__cahtsFake.inFlight() === 0 && window.__cahtsSeenCalls === n;
      window.__cahtsSeenCalls = n;
      return idle;
    },
    null,
    message,
  );
}

async function shot(page, name) {
  // The picture shows the final frame: fonts loaded, the pictures on screen loaded and
  // decoded, and no transition or one-off animation (a tooltip fading in, the message tools
  // appearing on hover, a toast rising) still running. Endless ones (spinners) never end.
  await page.evaluate(async () => {
    await document.fonts.ready;
    const onScreen = [...document.images].filter((img) => {
      const r = img.getBoundingClientRect();
      return r.width > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    });
    const loaded = (img) =>
      img.complete ? Promise.resolve() : new Promise((done) => ["load", "error"].forEach((e) => img.addEventListener(e, done, { once: true })));
    await Promise.all(onScreen.map((img) => loaded(img).then(() => img.decode().catch(() => {}))));
  });
  await waitUntil(
    page,
    () => document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getComputedTiming().endTime === Infinity),
    null,
    `the window should be still before the picture ${name}`,
  );
  await page.screenshot({ path: path.join(resultsDir, name) });
}

// ---------- the flow ----------

async function run(page) {
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
  });

  await step("empty real store shows the first-run screen", async () => {
    await page.goto(page.baseUrl);
    await page.waitForSelector(tid("first-run"), { timeout: 10_000 });
    const text = await page.textContent(tid("first-run"));
    for (const words of ["Deploy your relay", "Pair this computer", "Connect your accounts", "Explore with demo data"]) {
      assert(text.includes(words), `first-run screen should mention "${words}"`);
    }
    assert((await page.$(tid("demo-banner"))) === null, "no demo banner in the real store");
    await shot(page, "first-run.png");
  });

  await step("'Explore with demo data' enters demo mode: banner and list", async () => {
    await page.click(tid("demo-button"));
    await page.waitForSelector(tid("demo-banner"));
    await page.waitForSelector(tid("conversation-list"));
    assert((await calls(page, "enter_demo")).length === 1, "enter_demo should be called exactly once");
    const banner = await page.textContent(tid("demo-banner"));
    assert(banner.includes("nothing here is real"), `banner should say the data is not real, got "${banner}"`);
    await waitUntil(page, (sel) => document.querySelectorAll(sel).length >= 7, tid("conversation-item"), "inbox should list the 7 open demo conversations");
    const ids = await listIds(page);
    assert(
      JSON.stringify(ids.slice(0, 3)) === JSON.stringify(["c-unknown", "c-oliver", "c-amelia"]),
      `list should be newest first, got ${ids.slice(0, 3).join(", ")}`,
    );
    assert(!ids.includes("c-lena"), "a done conversation must not be in the inbox");
    await shot(page, "inbox.png");
  });

  await step("opening an unread conversation shows its thread and marks it read", async () => {
    assert((await page.$(`${row("c-noah")} .badge`)) !== null, "Noah's row should show an unread badge before opening");
    await page.click(row("c-noah"));
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-noah"] ${tid("thread-message")}`);
    const directions = await page.$$eval(`${tid("thread")} ${tid("thread-message")}`, (els) => els.map((e) => e.getAttribute("data-direction")));
    assert(
      JSON.stringify(directions) === JSON.stringify(["inbound", "outbound", "inbound", "inbound"]),
      `thread should be oldest first with directions in/out/in/in, got ${directions.join(",")}`,
    );
    const header = await page.textContent(tid("thread-header"));
    assert(header.includes("Noah Kim") && header.includes("@noah.kim"), `header should name the contact and handle, got "${header}"`);
    assert(/Reply window: 2[12] h left/.test(header), `Instagram message 2 h old should leave ~22 h, got "${header}"`);
    await waitUntil(
      page,
      () => window.__cahtsFake.calls.some((c) => c.cmd === "mark_read" && c.request?.conversationId === "c-noah"),
      null,
      "mark_read should be called for c-noah",
    );
    await waitUntil(page, (sel) => !document.querySelector(sel), `${row("c-noah")} .badge`, "Noah's unread badge should disappear after opening");
    const story = await page.textContent(`${tid("thread")} .quote--story`);
    assert(story.includes("Replied to your story"), "a story reply shows 'Replied to your story'");
    const closed = await page.textContent(tid("composer-closed"));
    assert(closed.includes("replies are switched off"), `demo conversations cannot be answered, got "${closed}"`);
  });

  await step("a failed WhatsApp message shows why on hover", async () => {
    await page.click(row("c-amelia"));
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-amelia"] ${tid("message-failed")}`);
    const header = await page.textContent(tid("thread-header"));
    assert(header.includes("Closed — WhatsApp template only"), `WhatsApp 26 h after the last inbound is template-only, got "${header}"`);
    assert(
      (await calls(page, "mark_read")).every((c) => c.request.conversationId !== "c-amelia"),
      "a read conversation is not marked read again",
    );
    const quote = await page.textContent(`${tid("thread")} .quote`);
    assert(quote.includes("Something like this, but more pink?"), "the quoted reply shows the quoted text");
    assert((await page.$(`${tid("thread")} .voice`)) !== null, "the voice note is drawn as a voice pill");
    assert((await page.textContent(`${tid("thread")} .file-card`)).includes("Invoice-2291.pdf"), "the file card names the file");
    assert((await page.textContent(`${tid("thread")} .file-card`)).includes("178 KB"), "the file card gives a human size");
    assert((await page.$$(`${tid("thread")} ${tid("reaction")}`)).length === 1, "one reaction chip");
    await page.hover(tid("message-failed"));
    await page.waitForSelector(".tooltip");
    const tip = await page.textContent(".tooltip");
    assert(tip.includes("131047") && tip.includes("24 hours"), `failure tooltip should give reason and code, got "${tip}"`);
    await shot(page, "thread.png");
    await page.mouse.move(5, 5);
  });

  await step("scrolling up loads older messages and keeps the reading position", async () => {
    await page.click(row("c-sofia"));
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-sofia"] ${tid("thread-message")}`);
    const first = await page.$$eval(`${tid("thread")} ${tid("thread-message")}`, (els) => els.length);
    assert(first === 50, `first page should hold 50 messages, got ${first}`);
    const atBottom = await page.$eval(`${tid("thread")} .messages`, (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4);
    assert(atBottom, "a thread opens scrolled to the newest message");
    await page.$eval(`${tid("thread")} .messages`, (el) => {
      el.scrollTop = 0;
    });
    await waitUntil(
      page,
      (sel) => document.querySelectorAll(sel).length === 83,
      `${tid("thread")} ${tid("thread-message")}`,
      "older page should bring the thread to 83 messages",
    );
    const top = await page.$eval(`${tid("thread")} .messages`, (el) => el.scrollTop);
    assert(top > 200, `after prepending, the view should stay on the same messages (scrollTop ${top})`);
    const calls2 = (await calls(page, "get_thread")).filter((c) => c.request.conversationId === "c-sofia");
    assert(
      calls2.some((c) => c.request.cursor !== null),
      "the older page is fetched with the cursor",
    );
    const kinds = await page.textContent(tid("thread"));
    assert(
      kinds.includes("Came from an ad: Spring bouquets") && kinds.includes("Tapped: See prices") && kinds.includes("edited"),
      "referral, postback and edited label are shown",
    );
  });

  await step("the Unread filter narrows the list", async () => {
    const before = (await listIds(page)).length;
    await page.click(tid("filter-unread"));
    await waitUntil(page, (sel) => !document.querySelector(sel), row("c-sofia"), "read conversations should leave the Unread view");
    const ids = (await listIds(page)).sort();
    assert(
      JSON.stringify(ids) === JSON.stringify(["c-oliver", "c-stranger", "c-unknown"]),
      `Unread should hold the two unread and the marked-unread conversation, got ${ids.join(", ")}`,
    );
    assert(ids.length < before, "Unread lists fewer conversations than Inbox");
    const req = (await calls(page, "list_conversations")).at(-1).request;
    assert(req.filter.unreadOnly === true, "list_conversations is asked for unread only");
  });

  await step("the Done view pages through a long list", async () => {
    await page.click(tid("filter-done"));
    await page.waitForSelector(row("c-lena"));
    // Keep scrolling to the end (the list grows as the next page arrives) until the last one shows.
    await waitUntil(
      page,
      ([list, last]) => {
        if (document.querySelector(last)) return true;
        const el = document.querySelector(list);
        el.scrollTop = el.scrollHeight;
        return false;
      },
      [tid("conversation-list"), row("c-past-55")],
      "scrolling to the end loads the last done conversation (second page)",
    );
    const pages = (await calls(page, "list_conversations")).filter((c) => c.request.filter.state === "done");
    assert(
      pages.some((c) => c.request.cursor !== null),
      "the second page is asked for with a cursor",
    );
    const rendered = (await listIds(page)).length;
    assert(rendered < 57, `the list is virtualized: ${rendered} rows in the DOM for 57 conversations`);
  });

  await step("search finds messages and highlights the match", async () => {
    await page.click(tid("filter-inbox"));
    await page.waitForSelector(row("c-noah"));
    await page.keyboard.press("Control+K");
    assert(await page.$eval(tid("search-input"), (el) => el === document.activeElement), "Ctrl+K focuses the search field");
    await page.keyboard.type("delivery");
    await page.waitForSelector(`${tid("search-results")} ${tid("search-hit")}`);
    await waitUntil(
      page,
      () => window.__cahtsFake.calls.some((c) => c.cmd === "search" && c.request.query === "delivery"),
      null,
      "search should be asked for the whole word",
    );
    const searches = await calls(page, "search");
    assert(searches.length <= 2, `typing is debounced: ${searches.length} search calls for 8 keystrokes`);
    const hits = await page.$$(tid("search-hit"));
    assert(hits.length >= 5, `"delivery" appears in at least 5 messages, got ${hits.length}`);
    const marks = await page.$$eval(`${tid("search-results")} mark`, (els) => els.map((e) => e.textContent.toLowerCase()));
    assert(marks.length >= hits.length && marks.every((m) => m === "delivery"), `each hit highlights "delivery", got ${marks.join("|")}`);
    await shot(page, "search.png");
    await page.click(`${tid("search-hit")}[data-conversation-id="c-oliver"]`);
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-oliver"] ${tid("thread-message")}`);
    assert((await page.$(`${tid("thread")} .msg--highlight`)) !== null, "the found message is highlighted in the thread");
  });

  await step("keyboard: Escape clears search, j/k move the selection", async () => {
    await page.focus(tid("search-input"));
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("conversation-list"));
    assert((await page.inputValue(tid("search-input"))) === "", "Escape clears the search");
    const ids = await listIds(page);
    const at = ids.indexOf("c-oliver");
    await page.keyboard.press("j");
    await page.waitForSelector(`${row(ids[at + 1])}[aria-selected="true"]`);
    await page.keyboard.press("k");
    await page.waitForSelector(`${row("c-oliver")}[aria-selected="true"]`);
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="${ids[at + 1]}"]`);
  });

  await step("store://changed makes the list refetch and show the new conversation", async () => {
    // Quiet first, so no refetch started by an earlier step can pick the new row up.
    await settled(page, "the window should settle before the change");
    const unreadBefore = Number(await page.textContent(`${tid("filter-unread")} .nav-item__count`));
    const [id, callsBefore] = await page.evaluate(() => [window.__cahtsFake.receiveNewConversation(), window.__cahtsFake.calls.length]);
    await settled(page, "the window should stay idle when nothing tells it of the change");
    const asked = await page.evaluate((n) => window.__cahtsFake.calls.slice(n).map((c) => c.cmd), callsBefore);
    assert(!asked.includes("list_conversations"), `without a change event the list is not asked again, got ${asked.join(", ")}`);
    assert(!(await listIds(page)).includes(id), "without a change event the list does not know yet");
    const callsAtEvent = await page.evaluate(() => window.__cahtsFake.calls.length);
    await page.evaluate((cid) => window.__cahtsFake.emitStoreChanged({ conversationIds: [cid], everything: false }), id);
    await waitUntil(
      page,
      (sel) => document.querySelector(sel)?.closest(".list__slot")?.style.transform === "translateY(0px)",
      row(id),
      "the new conversation should appear at the top of the list",
    );
    await waitUntil(
      page,
      ([sel, n]) => Number(document.querySelector(sel)?.textContent) === n + 1,
      [`${tid("filter-unread")} .nav-item__count`, unreadBefore],
      "the sidebar's unread count should go up by one",
    );
    const afterEvent = await page.evaluate((n) => window.__cahtsFake.calls.slice(n).map((c) => c.cmd), callsAtEvent);
    assert(
      afterEvent.includes("list_conversations") && afterEvent.includes("get_counts"),
      `the event makes the list and counts refetch, got ${afterEvent.join(", ")}`,
    );
  });

  await step("Mark unread and Done from the thread header", async () => {
    await page.click(row("c-mia"));
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-mia"] ${tid("thread-header")}`);
    const header = await page.textContent(tid("thread-header"));
    assert(/Outside 24 h — human agent reply until \w+/.test(header), `Instagram after 28 h allows a human agent reply, got "${header}"`);
    await page.click(tid("mark-unread"));
    await page.waitForSelector(`${row("c-mia")}[data-unread]`);
    // The row changes at once (optimistically); the call lands a moment later.
    await waitUntil(
      page,
      () => window.__cahtsFake.calls.some((c) => c.cmd === "mark_unread" && c.request?.conversationId === "c-mia"),
      null,
      "mark_unread is called",
    );
    await page.click(tid("toggle-done"));
    await waitUntil(page, (sel) => !document.querySelector(sel), row("c-mia"), "a done conversation leaves the inbox");
    await waitUntil(
      page,
      () => window.__cahtsFake.calls.some((c) => c.cmd === "set_conversation_state" && c.request?.conversationId === "c-mia" && c.request.state === "done"),
      null,
      "set_conversation_state(done) is called",
    );
    const open = await page.getAttribute(tid("thread"), "data-conversation-id");
    assert(open && open !== "c-mia", "the next conversation opens after Done");
  });

  await step("a failing command shows the engine's message, its next step, and Retry", async () => {
    const error = { code: "StoreUnavailable", message: "Your inbox file could not be opened.", action: "Close other copies of CAHTS and try again." };
    // Twice: the window retries a failed read once before showing the error. Only the
    // Instagram list fails, so a refetch still in flight from the last step cannot eat it.
    await page.evaluate((e) => window.__cahtsFake.failNext("list_conversations", e, 2, (r) => r?.filter?.platform === "instagram"), error);
    await page.click(tid("platform-filter-instagram"));
    await page.waitForSelector(tid("error-state"));
    const text = await page.textContent(tid("error-state"));
    assert(text.includes(error.message) && text.includes(error.action), `error state shows message and action, got "${text}"`);
    await page.click(tid("retry"));
    await page.waitForSelector(row("c-noah"));
    const ids = await listIds(page);
    assert(
      ids.every((i) => ["c-noah"].includes(i)),
      `Instagram filter keeps only Instagram rows, got ${ids.join(", ")}`,
    );
    await page.click(tid("platform-filter-instagram"));
    await page.waitForSelector(row("c-amelia"));
  });

  await step("dark colour scheme", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.click(row("c-amelia"));
    await page.waitForSelector(`${tid("thread")}[data-conversation-id="c-amelia"] ${tid("thread-message")}`);
    const bg = await page.$eval("body", (el) => getComputedStyle(el).backgroundColor);
    assert(bg !== "rgb(255, 255, 255)", `dark scheme should not keep a white background, got ${bg}`);
    await shot(page, "dark.png");
    await page.emulateMedia({ colorScheme: "light" });
  });

  await step("Exit demo returns to the first-run screen", async () => {
    await page.click(tid("exit-demo"));
    await page.waitForSelector(tid("first-run"));
    assert((await page.$(tid("demo-banner"))) === null, "no banner after leaving the demo");
    assert((await calls(page, "exit_demo")).length === 1, "exit_demo is called once");
  });

  await step("pairing with the relay: a refused code explains why; the right one shows Live", async () => {
    await page.click(tid("pair-button"));
    await page.waitForSelector(tid("pair-dialog"));
    assert(await page.isDisabled(tid("pair-submit")), "Pair is disabled until both fields are filled");
    await page.fill(tid("relay-url"), "https://relay.example.com");
    await page.fill(tid("pairing-code"), "AAAA-BBBB-CCCC-DDDD");
    await page.click(tid("pair-submit"));
    await page.waitForSelector(tid("pair-error"));
    const error = await page.textContent(tid("pair-error"));
    assert(error.includes("refused the pairing code") && error.includes("cahts-relay pair"), `refusal and next step shown, got "${error}"`);
    assert((await page.$(".toast")) === null, "the refusal is shown in the dialog, not also as a toast");
    await shot(page, "pair-refused.png");
    await page.fill(tid("pairing-code"), "k7qm-2xhd-9pfa-wb3t");
    await page.click(tid("pair-submit"));
    await page.waitForSelector(tid("pair-dialog"), { state: "detached" });
    const pairCalls = await calls(page, "pair_relay");
    assert(pairCalls.length === 2, `pair_relay called twice, got ${pairCalls.length}`);
    await waitUntil(page, (sel) => document.querySelector(sel)?.textContent.includes("Live"), tid("pair-button"), "first-run shows the live relay");
  });

  await step("accounts: WhatsApp by token (a refusal, then success) and Pages by Facebook Login", async () => {
    await page.click(tid("accounts-button"));
    await page.waitForSelector(tid("accounts-dialog"));
    await page.click(tid("connect-whatsapp"));
    await page.fill(tid("wa-phone-id"), "109876543210987");
    await page.fill(tid("wa-token"), "EAAG-wrong");
    await page.click(tid("wa-submit"));
    await page.waitForSelector(tid("account-error"));
    const refusal = await page.textContent(tid("account-error"));
    assert(refusal.includes("Invalid OAuth access token") && refusal.includes("Check the token"), `Meta's refusal and the next step, got "${refusal}"`);
    assert((await page.$(".toast")) === null, "shown inline, not also as a toast");
    await page.fill(tid("wa-token"), "EAAG-system-user-token");
    await page.click(tid("wa-submit"));
    await page.waitForSelector(tid("account-list"));
    await page.click(tid("connect-facebook"));
    await page.click(tid("fb-begin"));
    await page.waitForSelector(tid("login-url"));
    const url = await page.textContent(tid("login-url"));
    assert(url.startsWith("https://www.facebook.com/"), `the login address is shown, got "${url}"`);
    await waitUntil(
      page,
      () => window.__cahtsFake.calls.some((c) => c.cmd === "plugin:opener|open_url" && JSON.stringify(c.request).includes("facebook.com")),
      null,
      "the login page was opened in the browser",
    );
    await page.waitForSelector(tid("page-choices"), { timeout: 5000 });
    const connectLabel = await page.textContent(tid("fb-connect"));
    assert(connectLabel.includes("Connect 2 Pages"), `every Page is chosen by default, got "${connectLabel}"`);
    await page.click(tid("fb-connect"));
    await waitUntil(page, (sel) => document.querySelectorAll(sel).length === 4, tid("account-row"), "WhatsApp, two Pages and one Instagram account are listed");
    await page.waitForSelector(tid("history-progress"));
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("36 conversations")),
      tid("history-done"),
      "history loading runs to the end and says how much",
    );
    await shot(page, "accounts.png");
    const connect = (await calls(page, "connect_pages"))[0];
    assert(connect.request.withInstagram === true && connect.request.pageIds.length === 2, "connect_pages got both Pages with Instagram");
    await page.click(tid("connect-instagram"));
    await page.click(tid("ig-begin"));
    await page.waitForSelector(tid("ig-connected"), { timeout: 5000 });
    assert((await page.textContent(tid("ig-connected"))).includes("@studio.kai"), "the Instagram account is named when connected");
    await page.click("text=Done");
    await waitUntil(page, (sel) => document.querySelectorAll(sel).length === 5, tid("account-row"), "the Instagram Login account joins the list");
  });

  await step("disconnecting an account can delete its history", async () => {
    const rows = await page.$$(tid("account-row"));
    await (await rows[0].$(tid("disconnect"))).click();
    await page.check(tid("delete-data"));
    await page.click(tid("confirm-disconnect"));
    await waitUntil(page, (sel) => document.querySelectorAll(sel).length === 4, tid("account-row"), "the deleted account leaves the list");
    const call = (await calls(page, "disconnect_account"))[0];
    assert(call.request.deleteData === true, "disconnect_account asked to delete the data");
    await page.keyboard.press("Escape");
  });

  await step("replying: Enter sends; a refused reply can be sent again or discarded", async () => {
    await page.evaluate(() => window.__cahtsFake.receiveNewConversation());
    await page.evaluate(() => window.__cahtsFake.emitStoreChanged({ conversationIds: [], everything: true }));
    await page.waitForSelector(row("c-harper"), { timeout: 5000 });
    await page.click(row("c-harper"));
    await page.waitForSelector(tid("composer-input"));
    await page.fill(tid("composer-input"), "Yes, we are open 10–14 on Sundays.");
    await page.keyboard.press("Enter");
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("open 10–14")),
      tid("thread-message"),
      "the reply appears in the thread",
    );
    assert((await page.inputValue(tid("composer-input"))) === "", "the box is emptied after sending");
    const sent = (await calls(page, "send_text"))[0];
    assert(sent.request.conversationId === "c-harper" && sent.request.text === "Yes, we are open 10–14 on Sundays.", "send_text got the conversation and text");
    await page.fill(tid("composer-input"), "Sorry, this is outside the window");
    await page.click(tid("composer-send"));
    await page.waitForSelector(tid("failed-send-actions"));
    await shot(page, "reply-failed.png");
    await page.click(tid("discard-send"));
    await page.waitForSelector(tid("failed-send-actions"), { state: "detached" });
    assert((await calls(page, "discard_send")).length === 1, "discard_send called once");
    // A file, with the typed text as its caption.
    await page.fill(tid("composer-input"), "Here is the menu");
    await page.click(tid("composer-attach"));
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("menu.pdf")),
      tid("thread-message"),
      "the file appears in the thread",
    );
    const media = (await calls(page, "send_media"))[0];
    assert(
      media.request.path === "/home/lena/Documents/menu.pdf" && media.request.caption === "Here is the menu",
      "send_media got the picked file and the caption",
    );
  });

  await step("after WhatsApp's 24 hours the composer offers approved templates with a preview", async () => {
    await page.evaluate(() => window.__cahtsFake.receiveLateConversation());
    await page.evaluate(() => window.__cahtsFake.emitStoreChanged({ conversationIds: [], everything: true }));
    await page.waitForSelector(row("c-noor"), { timeout: 5000 });
    await page.click(row("c-noor"));
    await page.waitForSelector(tid("template-composer"));
    assert((await page.$(tid("composer-input"))) === null, "no free text box outside the window");
    // The templates are asked of Meta when the conversation opens: wait for them.
    await page.waitForSelector(tid("template-value"));
    const values = await page.$$(tid("template-value"));
    assert(values.length === 2, `order_ready needs two values, got ${values.length}`);
    assert(await page.isDisabled(tid("template-send")), "cannot send with blanks");
    await values[0].fill("Noor");
    await values[1].fill("4411");
    const preview = await page.textContent(tid("template-preview"));
    assert(preview === "Hello Noor, your order 4411 is ready.", `the preview shows what goes, got "${preview}"`);
    await shot(page, "template.png");
    await page.click(tid("template-send"));
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("your order 4411 is ready")),
      tid("thread-message"),
      "the template appears in the thread",
    );
    const sent = (await calls(page, "send_template"))[0];
    assert(sent.request.name === "order_ready" && sent.request.parameters.join("|") === "Noor|4411", "send_template got the template and its values");
  });

  await step("reacting to a customer's message, and taking it back; none after the window", async () => {
    assert((await page.$(tid("react-open"))) === null, "no reactions in a conversation whose window has closed");
    await page.click(row("c-harper"));
    await page.waitForSelector(tid("composer-input"));
    const inbound = page.locator(`${tid("thread-message")}[data-direction="inbound"]`).first();
    await inbound.hover();
    await inbound.locator(tid("react-open")).click();
    await page.click('[aria-label="React 👍"]');
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("👍")),
      tid("reaction"),
      "the reaction shows under the message",
    );
    await inbound.hover();
    await shot(page, "reaction.png");
    await inbound.locator(tid("react-open")).click();
    await page.click('[aria-label="Remove 👍"]');
    await waitUntil(page, (sel) => document.querySelectorAll(sel).length === 0, tid("reaction"), "the reaction is gone");
    const reacts = await calls(page, "react");
    assert(reacts.length === 2 && reacts[0].request.emoji === "👍" && reacts[1].request.emoji === null, "react sent the emoji, then null to take it back");
  });

  await step("replying to a particular message quotes it", async () => {
    const inbound = page.locator(`${tid("thread-message")}[data-direction="inbound"]`).first();
    await inbound.hover();
    await inbound.locator(tid("reply-open")).click();
    await page.waitForSelector(tid("composer-replying"));
    assert((await page.textContent(tid("composer-replying"))).includes("Harper Lewis"), "the composer says whom the reply answers");
    await page.keyboard.type("Yes, 10 to 14.");
    await shot(page, "reply-to.png");
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("composer-replying"), { state: "detached" });
    const sent = (await calls(page, "send_text")).at(-1);
    assert(typeof sent.request.replyTo === "string" && sent.request.replyTo.length > 0, "send_text carried the answered message's id");
    await waitUntil(
      page,
      (sel) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes("Yes, 10 to 14.") && e.querySelector(".quote")),
      tid("thread-message"),
      "the reply shows the quoted message",
    );
  });

  await step("Reports: number cards, a longer range, the charts, and a CSV saved where the owner chose", async () => {
    await page.click(tid("open-reports"));
    await page.waitForSelector(`${tid("card-in")} .report-card__value`);
    const value = async (card) => Number(await page.textContent(`${tid(card)} .report-card__value`));
    const week = await value("card-in");
    assert(week > 0, `the demo's last 7 days have inbound messages, got ${week}`);
    await page.waitForSelector(`${tid("volume-chart")} .recharts-bar-rectangle`);
    assert((await page.$$(`${tid("heat-map")} tbody tr`)).length === 7, "the heat map has a row per weekday");
    await page.click(tid("range-30d"));
    await waitUntil(
      page,
      () =>
        window.__cahtsFake.calls.filter((c) => c.cmd === "get_report").some((c) => (Date.parse(c.request.to) - Date.parse(c.request.from)) / 86_400_000 === 29),
      null,
      "picking 30 days asks the engine for 30 days",
    );
    const month = await value("card-in");
    assert(month >= week, `30 days hold at least what 7 days do (${month} vs ${week})`);
    // One account of the business's several: the engine is asked for that account only.
    const accountOption = await page.$(`${tid("report-scope")} optgroup[label="Account"] option`);
    assert(accountOption !== null, "with several accounts connected, each can be chosen");
    const accountValue = await accountOption.getAttribute("value");
    await page.selectOption(tid("report-scope"), accountValue);
    await waitUntil(
      page,
      (id) => window.__cahtsFake.calls.filter((c) => c.cmd === "get_report").some((c) => c.request.accountId === id && c.request.platform === null),
      Number(accountValue.slice(2)),
      "choosing an account asks for that account's figures",
    );
    await page.selectOption(tid("report-scope"), "");
    await shot(page, "reports.png");
    await page.click(tid("export-menu"));
    await page.click(tid("export-daily"));
    await page.waitForSelector(tid("export-saved"));
    const saved = (await calls(page, "save_report_csv")).at(-1);
    assert(
      saved.request.path.startsWith("/home/lena/Documents/cahts-daily-") && saved.request.kind === "daily",
      `saved where the dialog said: ${JSON.stringify(saved.request)}`,
    );
    assert((await page.textContent(tid("export-saved"))).includes("30 rows"), "one row per day of the range");
    // The PDF, on the paper the menu offers first for this locale (the page runs in en-US).
    await page.click(tid("export-menu"));
    const first = await page.getAttribute('[role="menuitem"]:first-child', "data-testid");
    assert(first === "export-pdf-letter", `an en-US owner sees Letter first, got ${first}`);
    await shot(page, "reports-export-menu.png");
    await page.click(tid("export-pdf-a4"));
    await waitUntil(page, (sel) => document.querySelector(sel)?.textContent?.includes("3 pages"), tid("export-saved"), "the PDF's pages are reported");
    const pdf = (await calls(page, "save_report_pdf")).at(-1);
    assert(
      pdf.request.paper === "a4" && pdf.request.path.endsWith(".pdf") && pdf.request.report.from === saved.request.report.from,
      `the PDF covers the range shown, on A4: ${JSON.stringify(pdf.request)}`,
    );
    // A long CSV shows its progress and can be cancelled; nothing is reported saved.
    await page.click(tid("export-menu"));
    await page.click(tid("export-messages-text"));
    await waitUntil(
      page,
      (sel) => /[1-9][\d,]* of 10,000 rows/.test(document.querySelector(sel)?.textContent ?? ""),
      tid("export-progress"),
      "the rows written so far show",
    );
    await shot(page, "reports-export-progress.png");
    await page.click(tid("export-cancel"));
    await page.waitForSelector(tid("export-cancelled"));
    assert((await page.textContent(tid("export-cancelled"))).includes("nothing was saved"), "a cancelled export says so");
    // Business hours: a refusal names what is wrong; saved hours are what the report counts in.
    assert((await page.textContent(tid("hours-summary"))).includes("by the clock"), "no hours set at first");
    await page.click(tid("open-hours"));
    await page.check(tid("hours-enabled"));
    await page.click(tid("hours-day-5"));
    await page.fill(tid("hours-opens"), "18:00");
    await page.fill(tid("hours-closes"), "09:00");
    await page.click(tid("hours-save"));
    await page.waitForSelector(tid("hours-error"));
    assert((await page.textContent(tid("hours-error"))).includes("after opening"), "the engine's reason is shown");
    await page.fill(tid("hours-opens"), "08:30");
    await page.fill(tid("hours-closes"), "17:00");
    await shot(page, "reports-business-hours.png");
    await page.click(tid("hours-save"));
    await page.waitForSelector(tid("hours-dialog"), { state: "detached" });
    const hours = (await calls(page, "set_business_hours")).at(-1).request.hours;
    assert(JSON.stringify(hours) === JSON.stringify({ days: [0, 1, 2, 3, 4, 5], opensAt: 510, closesAt: 1020 }), `saved ${JSON.stringify(hours)}`);
    await waitUntil(
      page,
      (sel) => document.querySelector(sel)?.textContent?.includes("Mon–Sat 08:30–17:00"),
      tid("hours-summary"),
      "the report is asked again and says which hours it counts",
    );
    // Today's counters follow what the engine commits.
    const unanswered = Number(await page.textContent(tid("live-unanswered")));
    await page.evaluate(() => {
      const id = window.__cahtsFake.receiveNewConversation();
      return window.__cahtsFake.emitStoreChanged({ conversationIds: [id], everything: false });
    });
    await waitUntil(
      page,
      ([sel, before]) => Number(document.querySelector(sel)?.textContent) === before + 1,
      [tid("live-unanswered"), unanswered],
      "a customer's new message raises the unanswered counter",
    );
    await page.click(tid("filter-inbox"));
    await page.waitForSelector(tid("conversation-list"));
  });

  await step("no errors in the page console", async () => {
    assert(pageErrors.length === 0, `page reported errors:\n      ${pageErrors.join("\n      ")}`);
  });
}

// ---------- setup and teardown ----------

async function main() {
  await mkdir(resultsDir, { recursive: true });
  console.log("building the UI…");
  await build({ root: uiDir, logLevel: "warn" });
  const mockScript = await bundleMock();

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}/`;
  // Started from node_modules/.bin directly: killing an npx wrapper would leave vite running.
  const preview = spawn(path.join(uiDir, "node_modules/.bin/vite"), ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: uiDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let previewLog = "";
  preview.stdout.on("data", (d) => (previewLog += d));
  preview.stderr.on("data", (d) => (previewLog += d));

  const profile = await mkdtemp(path.join(os.tmpdir(), "cahts-chromium-"));
  let context;
  try {
    await waitForHttp(baseUrl, preview);
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: VIEWPORT,
      locale: "en-US",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    await context.addInitScript({ content: mockScript });
    const page = context.pages()[0] ?? (await context.newPage());
    page.baseUrl = baseUrl;
    page.setDefaultTimeout(8000);
    console.log(`testing ${baseUrl}`);
    await run(page);
  } catch (e) {
    if (!(e instanceof AssertionFailed) && passed + failed === 0) {
      failed += 1;
      console.log(`setup failed: ${e?.stack ?? e}\n${previewLog}`);
    }
  } finally {
    await context?.close().catch(() => {});
    preview.kill("SIGTERM");
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
