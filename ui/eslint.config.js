import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["dist", "test-results"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    // The window's code runs in the webview; the e2e drivers and the tool configs run in Node.
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["e2e/**", "*.config.{js,ts}"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
