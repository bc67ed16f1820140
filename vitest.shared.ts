import { defineProject } from "vitest/config";

// Tests read workspace packages from src/ through their "source" export condition. Vitest runs
// tests in Vite's SSR environment, whose conditions are `ssr.resolve.conditions`, not
// `resolve.conditions`; setting either replaces Vite's defaults, so they are repeated here.
const conditions = ["source", "module", "node", "development|production"];

/** The vitest project every package uses: its tests are `test/**\/*.test.ts`. */
export function packageProject(name: string, test: { testTimeout?: number; hookTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: { name, include: ["test/**/*.test.ts"], ...test },
  });
}
