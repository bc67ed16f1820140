import { defineConfig } from "vitest/config";

// One vitest run over every package, so `pnpm test` ends with a single summary.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "scripts"],
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**", "apps/*/src/**"],
      reporter: ["text-summary", "text"],
    },
  },
});
