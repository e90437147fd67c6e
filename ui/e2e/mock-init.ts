/**
 * Bundled into one script and injected with `page.addInitScript` before the app loads:
 * Tauri's own IPC mock (with event mocking, so `listen` works and the test can emit
 * `store://changed`) backed by the fake engine.
 */
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { STORE_CHANGED_EVENT, type StoreChanged, type UiError } from "../src/ipc/bindings";
import { arrivingConversation, lateWhatsappConversation } from "./fixtures";
import { createFakeBackend, type Call } from "./fake-backend";

type TauriInternals = { invoke: (cmd: string, args?: unknown) => Promise<unknown> };

declare global {
  interface Window {
    __TAURI_INTERNALS__: TauriInternals;
    __cahtsFake: {
      calls: Call[];
      /** Commands answered but not yet resolved in the page (the fake's latency). */
      inFlight: () => number;
      failNext: (cmd: string, error: UiError, times?: number, match?: (request: unknown) => boolean) => void;
      receiveNewConversation: () => string;
      receiveLateConversation: () => string;
      emitStoreChanged: (change: StoreChanged) => Promise<unknown>;
    };
  }
}

// Slow enough that loading states exist, fast enough to keep the test quick. A page can
// set `__CAHTS_FAKE_LATENCY__` first to look at the loading states.
const LATENCY_MS = (window as { __CAHTS_FAKE_LATENCY__?: number }).__CAHTS_FAKE_LATENCY__ ?? 15;

const fake = createFakeBackend(Date.now());
let inFlight = 0;
mockWindows("main");
mockIPC(
  (cmd, args) =>
    new Promise((resolve, reject) => {
      inFlight += 1;
      setTimeout(() => {
        inFlight -= 1;
        try {
          resolve(fake.handle(cmd, args));
        } catch (e) {
          reject(e);
        }
      }, LATENCY_MS);
    }),
  { shouldMockEvents: true },
);

window.__cahtsFake = {
  calls: fake.calls,
  inFlight: () => inFlight,
  failNext: (cmd, error, times, match) => fake.failNext(cmd as never, error, times, match),
  receiveNewConversation: () => {
    const c = arrivingConversation(Date.now());
    fake.insert(c);
    return c.id;
  },
  receiveLateConversation: () => {
    const c = lateWhatsappConversation(Date.now());
    fake.insert(c);
    return c.id;
  },
  emitStoreChanged: (change) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event: STORE_CHANGED_EVENT, payload: change }),
};
