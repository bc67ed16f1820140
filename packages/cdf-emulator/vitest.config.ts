import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  test: { name: "cdf-emulator", include: ["test/**/*.test.ts"] },
});
