import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The window loads files from disk in release builds, hence relative asset paths.
export default defineConfig({
  base: "./",
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: false },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Tauri v2 ships WebView2 (Chromium) on Windows and WebKit on macOS/Linux.
    target: ["es2022", "chrome111", "safari16"],
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "node",
    // Date tests use local times; a fixed zone with daylight saving makes them exact.
    env: { TZ: "Europe/London" },
  },
});
