// End to end through the real window: the real cahts binary (WebKitGTK), the real engine
// and a real SQLite store, driven with tauri-driver + WebKitWebDriver.
//
// Run inside a display and a session bus, with tauri-driver listening on 127.0.0.1:4444
// and CAHTS_DATA_DIR naming an empty directory in tauri-driver's environment (the app
// inherits it; tauri-driver ignores `tauri:options.env`):
//   node e2e/window.mjs <path/to/cahts> <path/to/cahts-cli> <fixtures dir> <path/to/cahts-relay>
// A Secret Service must be unlocked on the session bus: pairing keeps the device key there.
// (scripts/test-window.sh sets all of that up.)

import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { remote } from "webdriverio";

const [app, cli, fixtures, relayBin, metaSimSeed] = process.argv.slice(2).map((p) => p && resolve(p));
if (!app || !cli || !fixtures || !relayBin || !metaSimSeed) {
  console.error("usage: node e2e/window.mjs <cahts binary> <cahts-cli binary> <fixtures dir> <cahts-relay binary> <meta-sim seed.json>");
  process.exit(2);
}

const dataDir = process.env.CAHTS_DATA_DIR;
if (!dataDir || readdirSync(dataDir).length > 0) {
  console.error("window: CAHTS_DATA_DIR must name an empty directory (the app under test uses it)");
  process.exit(2);
}
const shots = resolve("test-results");
const step = (name) => console.log(`window: ${name}`);

// A real relay on loopback, its own data in a temporary directory. Its Meta app is
// meta-sim's (same id and secret), so webhooks and Facebook Login both check out.
const metaSim = JSON.parse(readFileSync(metaSimSeed, "utf8"));
const APP_SECRET = metaSim.app.app_secret;
const RELAY_PUBLIC_URL = "https://relay.window.test";
const relayEnv = {
  ...process.env,
  CAHTS_RELAY_DATA_DIR: mkdtempSync(join(tmpdir(), "cahts-window-relay-")),
  CAHTS_RELAY_META_APP_SECRET: APP_SECRET,
  CAHTS_RELAY_META_APP_ID: metaSim.app.app_id,
  CAHTS_RELAY_PUBLIC_URL: RELAY_PUBLIC_URL,
  CAHTS_RELAY_GRAPH_API_BASE: metaSim.base_url,
  CAHTS_RELAY_FACEBOOK_DIALOG_BASE: metaSim.base_url,
  CAHTS_RELAY_VERIFY_TOKEN: "window-test-verify-token",
  CAHTS_RELAY_LISTEN: "127.0.0.1:0",
  CAHTS_RELAY_LOG: "warn",
};
let relay;
async function startRelay() {
  relay = spawn(relayBin, ["serve"], { env: relayEnv, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((resolveLine, reject) => {
    let buffered = "";
    relay.stdout.on("data", (chunk) => {
      buffered += chunk;
      if (buffered.includes("\n")) resolveLine(buffered.split("\n")[0]);
    });
    relay.on("exit", (code) => reject(new Error(`cahts-relay exited with ${code}`)));
  });
  return `http://${line.replace("listening on ", "").trim()}`;
}
async function postWebhook(relayUrl, body) {
  const signature = "sha256=" + createHmac("sha256", APP_SECRET).update(body).digest("hex");
  const response = await fetch(`${relayUrl}/webhooks/meta`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    body,
  });
  if (response.status !== 200) throw new Error(`the relay answered ${response.status} to a signed webhook`);
}

let browser;
try {
  browser = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "warn",
    capabilities: {
      "tauri:options": { application: app },
    },
  });

  step("a new store shows the first-run screen");
  const firstRun = await browser.$('[data-testid="first-run"]');
  await firstRun.waitForDisplayed({ timeout: 20_000 });

  step("Explore with demo data opens the demo inbox");
  await (await browser.$('[data-testid="demo-button"]')).click();
  await (await browser.$('[data-testid="demo-banner"]')).waitForDisplayed({ timeout: 20_000 });
  const items = await browser.$$('[data-testid="conversation-item"]');
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length > 5, {
    timeout: 10_000,
    timeoutMsg: "the demo inbox lists conversations",
  });
  step(`demo inbox lists ${items.length}+ conversations`);

  step("opening a demo conversation shows its messages");
  await (await browser.$('[data-testid="conversation-item"]')).click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="thread-message"]')).length > 0, {
    timeout: 10_000,
    timeoutMsg: "the thread shows messages",
  });
  const demoText = await (await browser.$$('[data-testid="thread-message"]'))[0].getText();
  if (!demoText.trim()) throw new Error("a demo message has no visible text");
  step(`read a demo message: ${JSON.stringify(demoText.slice(0, 60))}`);
  await browser.saveScreenshot(join(shots, "window-demo.png"));

  step("leaving demo mode returns to the (still empty) real store");
  await (await browser.$('[data-testid="exit-demo"]')).click();
  await (await browser.$('[data-testid="first-run"]')).waitForDisplayed({ timeout: 20_000 });

  step("cahts-cli writing the same store updates the open window");
  execFileSync(cli, ["--db", join(dataDir, "cahts.sqlite"), "ingest-webhook", join(fixtures, "whatsapp_text.json")], {
    stdio: "inherit",
  });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length === 1, {
    timeout: 15_000,
    timeoutMsg: "the conversation written by cahts-cli appears without a restart",
  });
  await (await browser.$('[data-testid="conversation-item"]')).click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="thread-message"]')).length > 0, {
    timeout: 10_000,
    timeoutMsg: "the ingested conversation shows its message",
  });
  const exported = JSON.parse(execFileSync(cli, ["--db", join(dataDir, "cahts.sqlite"), "export-json"]).toString());
  const stored = exported.conversations[0].messages.map((m) => m.text).filter(Boolean);
  const shown = [];
  for (const message of await browser.$$('[data-testid="thread-message"]')) shown.push(await message.getText());
  for (const text of stored) {
    if (!shown.some((s) => s.includes(text))) {
      throw new Error(`the window does not show the stored message ${JSON.stringify(text)}; it shows ${JSON.stringify(shown)}`);
    }
  }
  step(`the window shows the ingested message(s): ${JSON.stringify(stored)}`);
  await browser.saveScreenshot(join(shots, "window-live.png"));

  step("pairing with a real relay from the sidebar");
  const relayUrl = await startRelay();
  const code = execFileSync(relayBin, ["pair"], { env: relayEnv }).toString().trim();
  await (await browser.$('[data-testid="relay-indicator"]')).click();
  await (await browser.$('[data-testid="pair-dialog"]')).waitForDisplayed({ timeout: 10_000 });
  await (await browser.$('[data-testid="relay-url"]')).setValue(relayUrl);
  await (await browser.$('[data-testid="pairing-code"]')).setValue(code);
  await (await browser.$('[data-testid="pair-submit"]')).click();
  await browser.waitUntil(async () => (await (await browser.$('[data-testid="relay-indicator"]')).getAttribute("data-state")) === "live", {
    timeout: 20_000,
    timeoutMsg: "the relay indicator says Live after pairing",
  });
  const devices = execFileSync(relayBin, ["devices", "list"], { env: relayEnv }).toString();
  if (!devices.includes("CAHTS on")) throw new Error(`the relay does not list the window's device:\n${devices}`);

  step("a webhook posted to the relay appears in the open window");
  const text = "Bonjour ! Is the linen tablecloth back in stock?";
  const body = JSON.stringify({
    object: "page",
    entry: [
      {
        id: "104628375019264",
        time: Date.now(),
        messaging: [
          {
            sender: { id: "7319245508813299" },
            recipient: { id: "104628375019264" },
            timestamp: Date.now(),
            message: { mid: "m_window_relay_0001", text },
          },
        ],
      },
    ],
  });
  const before = (await browser.$$('[data-testid="conversation-item"]')).length;
  await postWebhook(relayUrl, body);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length === before + 1, {
    timeout: 20_000,
    timeoutMsg: "the conversation relayed from Meta appears without a restart",
  });
  // Newest first: the relayed conversation heads the list.
  await (await browser.$('[data-testid="conversation-item"]')).click();
  await browser.waitUntil(
    async () => {
      for (const m of await browser.$$('[data-testid="thread-message"]')) if ((await m.getText()).includes(text)) return true;
      return false;
    },
    { timeout: 10_000, timeoutMsg: "the relayed message is shown in its thread" },
  );
  await browser.saveScreenshot(join(shots, "window-relay.png"));

  step("connecting a Facebook Page and its Instagram account with Facebook Login through the relay; their history loads");
  const listedBefore = (await browser.$$('[data-testid="conversation-item"]')).length;
  await (await browser.$('[data-testid="accounts-nav"]')).click();
  await (await browser.$('[data-testid="accounts-dialog"]')).waitForDisplayed({ timeout: 10_000 });
  await (await browser.$('[data-testid="connect-facebook"]')).click();
  await (await browser.$('[data-testid="fb-begin"]')).click();
  const loginUrl = await browser.$('[data-testid="login-url"]');
  await loginUrl.waitForDisplayed({ timeout: 20_000, timeoutMsg: "the relay hands out the login address" });
  // The owner's browser: meta-sim's dialog approves and redirects to the relay's callback.
  const dialog = await fetch(await loginUrl.getText(), { redirect: "manual" });
  if (dialog.status !== 302) throw new Error(`the login dialog answered ${dialog.status}`);
  const query = new URL(dialog.headers.get("location").replace(RELAY_PUBLIC_URL, relayUrl)).search;
  const callback = await fetch(`${relayUrl}/oauth/callback${query}`);
  if (callback.status !== 200) throw new Error(`the relay's callback answered ${callback.status}`);
  const connectPages = await browser.$('[data-testid="fb-connect"]');
  await connectPages.waitForDisplayed({ timeout: 20_000, timeoutMsg: "the sealed token reaches the window and its Pages are offered" });
  await connectPages.click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="history-done"]')).length === 2, {
    timeout: 60_000,
    timeoutMsg: "the Page and its Instagram account load their history",
  });
  await browser.saveScreenshot(join(shots, "window-history.png"));
  await browser.keys("Escape");
  const seededConversations = metaSim.page.messenger_conversations.length + metaSim.instagram.conversations.length;
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length >= listedBefore + seededConversations, {
    timeout: 20_000,
    timeoutMsg: `the ${seededConversations} Messenger and Instagram conversations are in the inbox`,
  });

  step("connecting a WhatsApp number with a system-user token (checked by meta-sim)");
  const seed = metaSim.whatsapp;
  await (await browser.$('[data-testid="accounts-nav"]')).click();
  await (await browser.$('[data-testid="accounts-dialog"]')).waitForDisplayed({ timeout: 10_000 });
  await (await browser.$('[data-testid="connect-whatsapp"]')).click();
  await (await browser.$('[data-testid="wa-phone-id"]')).setValue(seed.phone_number_id);
  await (await browser.$('[data-testid="wa-token"]')).setValue(seed.system_user_token);
  await (await browser.$('[data-testid="wa-submit"]')).click();
  await browser.waitUntil(
    async () => {
      for (const r of await browser.$$('[data-testid="account-row"]')) {
        if ((await r.getAttribute("data-status")) === "connected" && (await r.getText()).includes("WhatsApp")) return true;
      }
      return false;
    },
    { timeout: 20_000, timeoutMsg: "the WhatsApp number is listed as connected" },
  );
  await browser.saveScreenshot(join(shots, "window-accounts.png"));
  await browser.keys("Escape");

  step("a WhatsApp customer writes (through the relay) and the owner replies from the composer");
  const at = Math.floor(Date.now() / 1000);
  const waBody = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: seed.waba_id,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: seed.display_phone_number, phone_number_id: seed.phone_number_id },
              contacts: [{ profile: { name: "Zoë Lefèvre" }, wa_id: seed.customer_wa_id }],
              messages: [
                {
                  from: seed.customer_wa_id,
                  id: "wamid.window-test-0001",
                  timestamp: String(at),
                  type: "text",
                  text: { body: "Bonjour ! Vous livrez samedi ?" },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const countBefore = (await browser.$$('[data-testid="conversation-item"]')).length;
  await postWebhook(relayUrl, waBody);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length === countBefore + 1, {
    timeout: 20_000,
    timeoutMsg: "the WhatsApp conversation arrives",
  });
  await (await browser.$('[data-testid="conversation-item"]')).click();
  const input = await browser.$('[data-testid="composer-input"]');
  await input.waitForDisplayed({ timeout: 10_000 });
  await input.setValue("Oui, samedi matin entre 9 h et 12 h.");
  await browser.keys("Enter");
  await browser.waitUntil(
    async () => {
      for (const m of await browser.$$('[data-testid="thread-message"]')) {
        if ((await m.getText()).includes("samedi matin") && (await m.$$(".status--sent, .status--delivered")).length > 0) return true;
      }
      return false;
    },
    { timeout: 30_000, timeoutMsg: "the reply is sent through meta-sim and shows as Sent" },
  );
  await browser.saveScreenshot(join(shots, "window-reply.png"));

  step("a photo the customer sends is downloaded from meta-sim and shown from this computer");
  const photoBody = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: seed.waba_id,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: seed.display_phone_number, phone_number_id: seed.phone_number_id },
              contacts: [{ profile: { name: "Zoë Lefèvre" }, wa_id: seed.customer_wa_id }],
              messages: [
                {
                  from: seed.customer_wa_id,
                  id: "wamid.window-test-photo",
                  timestamp: String(at + 1),
                  type: "image",
                  image: { id: seed.photo.media_id, mime_type: seed.photo.mime_type, sha256: seed.photo.sha256 },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  await postWebhook(relayUrl, photoBody);
  await browser
    .waitUntil(
      async () =>
        browser.execute(() =>
          [...document.querySelectorAll('[data-testid="thread-message"] img.media-img')].some(
            (img) =>
              /^(asset:|http:\/\/asset\.localhost)/.test(img.src) &&
              img.complete &&
              img.naturalWidth > 0 &&
              img.getBoundingClientRect().width > 100 &&
              img.getBoundingClientRect().height > 50,
          ),
        ),
      { timeout: 30_000, timeoutMsg: "the photo is fetched and drawn from the media directory" },
    )
    .catch(async (e) => {
      console.log(
        JSON.stringify(
          await browser.execute(() =>
            [...document.querySelectorAll('[data-testid="thread-message"] img, [data-testid="thread-message"] [data-testid="attachment-missing"]')].map((i) => [
              i.outerHTML.slice(0, 300),
              i.complete,
              i.naturalWidth,
              i.getBoundingClientRect().width,
            ]),
          ),
        ),
      );
      throw e;
    });
  await browser.saveScreenshot(join(shots, "window-photo.png"));

  step("a customer who wrote 26 hours ago gets an approved template, chosen and filled in the composer");
  const lateBody = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: seed.waba_id,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: seed.display_phone_number, phone_number_id: seed.phone_number_id },
              contacts: [{ profile: { name: "Ada Brandt" }, wa_id: "4917700000001" }],
              messages: [
                {
                  from: "4917700000001",
                  id: "wamid.window-test-late",
                  timestamp: String(at - 26 * 3600),
                  type: "text",
                  text: { body: "Is order 4411 ready?" },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const listed = (await browser.$$('[data-testid="conversation-item"]')).length;
  await postWebhook(relayUrl, lateBody);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-item"]')).length === listed + 1, {
    timeout: 20_000,
    timeoutMsg: "Ada's conversation arrives",
  });
  await (await browser.$('//*[@data-testid="conversation-item"][contains(., "Ada Brandt")]')).click();
  const select = await browser.$('[data-testid="template-select"]');
  await select.waitForDisplayed({ timeout: 20_000, timeoutMsg: "the template composer lists the number's templates (business account found from the token)" });
  await select.selectByVisibleText("order_update · en_US");
  const values = await browser.$$('[data-testid="template-value"]');
  if (values.length !== 2) throw new Error(`order_update needs two values, the composer shows ${values.length}`);
  await values[0].setValue("Ada");
  await values[1].setValue("4411");
  await (await browser.$('[data-testid="template-send"]')).click();
  await browser.waitUntil(
    async () => {
      for (const m of await browser.$$('[data-testid="thread-message"]')) {
        if ((await m.getText()).includes("Hi Ada, your order 4411 is on its way.") && (await m.$$(".status--sent, .status--delivered")).length > 0) return true;
      }
      return false;
    },
    { timeout: 30_000, timeoutMsg: "the template is sent through meta-sim and shows as Sent" },
  );
  await browser.saveScreenshot(join(shots, "window-template.png"));

  step("Reports on the real store: the engine's figures, a longer range, and the same figures in a CSV file");
  await (await browser.$('[data-testid="open-reports"]')).click();
  const cardValue = async (card) => Number(await (await browser.$(`[data-testid="${card}"] .report-card__value`)).getText());
  await (
    await browser.$('[data-testid="card-in"] .report-card__value')
  ).waitForDisplayed({
    timeout: 20_000,
    timeoutMsg: "the Reports view loads (its code and chart library come on first open)",
  });
  const weekIn = await cardValue("card-in");
  if (!(weekIn >= 2)) throw new Error(`this week's customers wrote at least twice through the relay, Reports says ${weekIn}`);
  await (await browser.$('[data-testid="volume-chart"] .recharts-bar-rectangle')).waitForExist({ timeout: 10_000, timeoutMsg: "the volume chart draws bars" });
  const today = new Date();
  const day = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const from = day(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
  await (await browser.$('[data-testid="range-30d"]')).click();
  await browser.waitUntil(async () => (await (await browser.$(".reports__zone")).getText()).startsWith(from), {
    timeout: 10_000,
    timeoutMsg: "the 30-day figures replace the 7-day ones",
  });
  const monthIn = await cardValue("card-in");
  if (monthIn < weekIn) throw new Error(`30 days hold at least what 7 days do: ${monthIn} < ${weekIn}`);
  await browser.saveScreenshot(join(shots, "window-reports.png"));
  const csvPath = join(dataDir, "daily.csv");
  execFileSync(cli, ["--db", join(dataDir, "cahts.sqlite"), "report", "--from", from, "--to", day(today), "--csv", "daily", "--output", csvPath]);
  const [header, ...rows] = readFileSync(csvPath, "utf8")
    .replace(/^\uFEFF/, "")
    .trim()
    .split("\n");
  const col = header.split(",").indexOf("messages_in");
  const csvIn = rows.reduce((n, r) => n + Number(r.split(",")[col]), 0);
  if (rows.length !== 30 || csvIn !== monthIn) throw new Error(`the CSV has ${rows.length} days and ${csvIn} messages in; the window said ${monthIn}`);

  step("The PDF report through the window's own command (the native save dialog is the OS's): the cards' figures, printed");
  // WebDriver cannot drive the OS's file dialog, so the page calls the command the Export
  // menu calls once the dialog returns a path, through the real IPC into the real engine.
  const pdfPath = join(dataDir, "report.pdf");
  const written = await browser.execute((request) => window.__TAURI_INTERNALS__.invoke("save_report_pdf", { request }), {
    report: { from, to: day(today), platform: null, accountId: null },
    paper: "letter",
    path: pdfPath,
  });
  if (!(written.pages >= 1) || written.path !== pdfPath) throw new Error(`save_report_pdf answered ${JSON.stringify(written)}`);
  const info = execFileSync("pdfinfo", [pdfPath]).toString();
  if (!info.includes("612 x 792 pts (letter)")) throw new Error(`the PDF is not on Letter paper:\n${info}`);
  const printed = execFileSync("pdftotext", ["-layout", pdfPath, "-"]).toString();
  const inCard = printed.match(/Messages in[\s\S]*?\n\s*([\d,]+)\s/);
  if (Number(inCard?.[1]?.replace(/,/g, "")) !== monthIn) throw new Error(`the PDF prints ${inCard?.[1]} messages in; the window said ${monthIn}`);
  if (!printed.includes(`Page ${written.pages} of ${written.pages}`)) throw new Error("the PDF's pages are numbered");
  console.log("window: all checks passed");
} catch (error) {
  console.error(`window: FAILED: ${error?.message ?? error}`);
  if (browser) await browser.saveScreenshot(join(shots, "window-failure.png")).catch(() => {});
  process.exitCode = 1;
} finally {
  if (browser) await browser.deleteSession().catch(() => {});
  if (relay) relay.kill("SIGTERM");
}
