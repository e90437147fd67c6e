/**
 * `src/ipc/` is the one seam between the window and the Tauri shell: no file outside it may
 * import `@tauri-apps/` (the api, its plugins, anything), so the whole UI can run and be
 * tested against a fake backend, and every call to the shell goes through one place.
 */
import { describe, expect, it } from "vitest";

// Every source file under src/, as text (Vite reads them; this test runs under vitest).
const sources = import.meta.glob<string>("/src/**/*.{ts,tsx}", { query: "?raw", import: "default", eager: true });

/** The `@tauri-apps/...` modules a source file imports, re-exports or loads. */
function tauriImports(source: string): string[] {
  const found: string[] = [];
  const specifier = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'`](@tauri-apps\/[^"'`]*)["'`]/g;
  for (const m of source.matchAll(specifier)) found.push(m[1] as string);
  return found;
}

describe("the Tauri boundary", () => {
  it("finds imports in every form", () => {
    expect(tauriImports(`import { invoke } from "@tauri-apps/api/core";`)).toEqual(["@tauri-apps/api/core"]);
    expect(tauriImports(`import type { Event } from '@tauri-apps/api/event';`)).toEqual(["@tauri-apps/api/event"]);
    expect(tauriImports(`export { open } from "@tauri-apps/plugin-dialog";`)).toEqual(["@tauri-apps/plugin-dialog"]);
    expect(tauriImports(`import "@tauri-apps/api";`)).toEqual(["@tauri-apps/api"]);
    expect(tauriImports(`const m = await import("@tauri-apps/plugin-opener");`)).toEqual(["@tauri-apps/plugin-opener"]);
    expect(tauriImports(`import {\n  openUrl,\n} from\n  "@tauri-apps/plugin-opener";`)).toEqual(["@tauri-apps/plugin-opener"]);
    expect(tauriImports(`import { call } from "../../ipc/transport";`)).toEqual([]);
  });

  it("reads the sources, the seam included", () => {
    const paths = Object.keys(sources);
    expect(paths.length).toBeGreaterThan(50);
    expect(tauriImports(sources["/src/ipc/transport.ts"] ?? "")).toContain("@tauri-apps/api/core");
  });

  it("no file outside src/ipc/ imports @tauri-apps/", () => {
    const offenders = Object.entries(sources)
      .filter(([path]) => !path.startsWith("/src/ipc/"))
      .flatMap(([path, source]) => tauriImports(source).map((m) => `${path} imports ${m}`));
    expect(offenders).toEqual([]);
  });
});
