import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  test: { name: "kpi-core", include: ["test/**/*.test.ts"] },
});
