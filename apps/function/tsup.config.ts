import { defineConfig } from "tsup";

export default defineConfig({
  entry: { function: "src/main.ts" },
  format: ["esm"],
  sourcemap: true,
  clean: true,
  target: "node20",
  // CDF installs no npm packages: the zip carries one file with every dependency inlined.
  noExternal: [/.*/],
  // Bundled from the workspace packages' sources (their "source" export), not their dist/: the
  // zip then follows the sources alone, whatever was built before.
  esbuildOptions(options) {
    options.conditions = ["source"];
  },
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
