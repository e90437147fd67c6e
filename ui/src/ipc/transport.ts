/**
 * The one seam between the window and the Tauri shell. Components and hooks call
 * `call(...)`, `onStoreChanged(...)`, `onRelayStatus(...)` and the shell's own services
 * below (`localFileUrl`, `pickFile`, `pickSavePath`, `openInBrowser`); nothing outside `src/ipc/` imports
 * `@tauri-apps/` (a test fails if something does). Every rejection leaves this module as a
 * `UiError`, so the UI branches on `code` and shows `message`/`action` without ever parsing text.
 */
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import {
  LINK_STATES,
  RELAY_STATUS_EVENT,
  STORE_CHANGED_EVENT,
  type Commands,
  type ErrorCode,
  type RelayStatus,
  type StoreChanged,
  type UiError,
} from "./bindings";

export type CommandName = keyof Commands;
export type RequestOf<K extends CommandName> = Commands[K]["request"];
export type ResponseOf<K extends CommandName> = Commands[K]["response"];
/** Commands whose request is `undefined` take no argument at all. */
export type RequestArgs<K extends CommandName> = RequestOf<K> extends undefined ? [] : [request: RequestOf<K>];

export type Unlisten = () => void;

/** Every `ErrorCode`; `satisfies` below fails to compile when the generated union grows. */
const ERROR_CODE_SET = {
  Validation: true,
  NotFound: true,
  StoreUnavailable: true,
  RelayUnavailable: true,
  RelayRefused: true,
  KeyringUnavailable: true,
  MetaRefused: true,
  MetaUnavailable: true,
  Internal: true,
  Cancelled: true,
} as const satisfies Record<ErrorCode, true>;
const ERROR_CODES = Object.keys(ERROR_CODE_SET) as ErrorCode[];

const OUTSIDE_TAURI: UiError = {
  code: "Internal",
  message: "CAHTS is running outside its desktop window, so it cannot reach your inbox.",
  action: "Open the CAHTS app instead of this page.",
};

function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

export function isUiError(value: unknown): value is UiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && (ERROR_CODES as readonly string[]).includes(v.code) && typeof v.message === "string";
}

/**
 * Normalizes anything a command can reject with. The shell rejects with a `UiError`;
 * Tauri itself rejects with plain strings (unknown command, denied permission) and JS
 * can throw `Error`s: those become `Internal` with their text kept as the message.
 */
export function toUiError(e: unknown): UiError {
  if (isUiError(e)) {
    return { code: e.code, message: e.message, action: typeof e.action === "string" ? e.action : null };
  }
  if (typeof e === "string" && e.trim() !== "") {
    return { code: "Internal", message: e, action: null };
  }
  if (e instanceof Error && e.message.trim() !== "") {
    return { code: "Internal", message: e.message, action: null };
  }
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    const message = (e as { message: string }).message;
    if (message.trim() !== "") return { code: "Internal", message, action: null };
  }
  return {
    code: "Internal",
    message: "Something went wrong.",
    action: "Try again. If it keeps happening, restart CAHTS.",
  };
}

/** Invokes a command, typed from the generated `Commands` map. Rejects with a `UiError`. */
export async function call<K extends CommandName>(name: K, ...args: RequestArgs<K>): Promise<ResponseOf<K>> {
  if (!insideTauri()) throw OUTSIDE_TAURI;
  try {
    return args.length === 0 ? await invoke<ResponseOf<K>>(name) : await invoke<ResponseOf<K>>(name, { request: args[0] });
  } catch (e) {
    throw toUiError(e);
  }
}

/**
 * The payload type is generated, but it still crosses a process boundary: anything
 * that does not look like `StoreChanged` is treated as "everything changed", which is
 * always safe (just slower).
 */
export function parseStoreChanged(payload: unknown): StoreChanged {
  if (typeof payload === "object" && payload !== null) {
    const p = payload as Record<string, unknown>;
    if (typeof p.everything === "boolean" && Array.isArray(p.conversationIds) && p.conversationIds.every((id) => typeof id === "string")) {
      return { everything: p.everything, conversationIds: p.conversationIds as string[] };
    }
  }
  return { everything: true, conversationIds: [] };
}

/** Subscribes to committed store changes; resolves to the function that unsubscribes. */
export async function onStoreChanged(cb: (change: StoreChanged) => void): Promise<Unlisten> {
  if (!insideTauri()) return () => {};
  const unlisten = await listen<unknown>(STORE_CHANGED_EVENT, (event) => cb(parseStoreChanged(event.payload)));
  return () => {
    unlisten();
  };
}

/** A `relay://status` payload, or null when it does not have the generated shape. */
export function parseRelayStatus(payload: unknown): RelayStatus | null {
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const link = p.link as Record<string, unknown> | undefined;
  if (typeof link !== "object" || link === null || !(LINK_STATES as readonly string[]).includes(String(link.state))) return null;
  return payload as RelayStatus;
}

/** Subscribes to relay link status changes. */
export async function onRelayStatus(cb: (status: RelayStatus) => void): Promise<Unlisten> {
  if (!insideTauri()) return () => {};
  const unlisten = await listen<unknown>(RELAY_STATUS_EVENT, (event) => {
    const status = parseRelayStatus(event.payload);
    if (status) cb(status);
  });
  return () => {
    unlisten();
  };
}

// ---------- the shell's own services: local files, the file picker, the browser ----------

/**
 * A file on this computer (in the data directory), as an address the window can load it
 * from (Tauri's asset protocol). Null outside the app window, where there is no such protocol.
 */
export function localFileUrl(path: string): string | null {
  if (!insideTauri()) return null;
  try {
    return convertFileSrc(path);
  } catch {
    return null;
  }
}

/** Asks the owner for one file; resolves to its path, or null when they cancel. */
export async function pickFile(title: string): Promise<string | null> {
  if (!insideTauri()) throw OUTSIDE_TAURI;
  try {
    const picked = await openDialog({ multiple: false, directory: false, title });
    return typeof picked === "string" ? picked : null;
  } catch (e) {
    throw toUiError(e);
  }
}

/** Asks where to save a file; `null` when the owner cancels. */
export async function pickSavePath(title: string, defaultPath: string, extension: string): Promise<string | null> {
  if (!insideTauri()) throw OUTSIDE_TAURI;
  try {
    const picked = await saveDialog({ title, defaultPath, filters: [{ name: extension.toUpperCase(), extensions: [extension] }] });
    return typeof picked === "string" ? picked : null;
  } catch (e) {
    throw toUiError(e);
  }
}

/** Opens an address in the owner's browser. */
export async function openInBrowser(url: string): Promise<void> {
  if (!insideTauri()) throw OUTSIDE_TAURI;
  try {
    await openUrl(url);
  } catch (e) {
    throw toUiError(e);
  }
}
