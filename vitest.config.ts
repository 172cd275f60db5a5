import { fileURLToPath } from "node:url";
import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

const gen = fileURLToPath(new URL("./gen/", import.meta.url));

export default defineConfig({
  resolve: {
    // Generated code lives in the ignored gen/ folder; everything imports it as @weft/gen/...
    alias: [{ find: /^@weft\/gen\//, replacement: gen }],
  },
  // The Weft packages' exports point at their built dist/ files; inside this repository the
  // "weft-source" condition picks their TypeScript sources instead, so tests need no build.
  ssr: { resolve: { conditions: ["weft-source", ...defaultServerConditions] } },
  test: {
    include: ["{mesh,gateway,cli,console,services,scripts,deploy}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.data/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores run at most two files at once.
    maxWorkers: 2,
  },
});
