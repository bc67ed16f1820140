import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  test: { name: "backfill", include: ["test/**/*.test.ts"] },
});
