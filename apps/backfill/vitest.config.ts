import { defineProject } from "vitest/config";

// Tests read workspace packages from src/ through their "source" export condition. Vitest runs
// tests in Vite's SSR environment, whose conditions are `ssr.resolve.conditions`, not
// `resolve.conditions`; setting either replaces Vite's defaults, so they are repeated here.
const conditions = ["source", "module", "node", "development|production"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: "backfill", include: ["test/**/*.test.ts"] },
});
