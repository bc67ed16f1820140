import { fileURLToPath } from "node:url";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { function: "src/main.ts" },
  // function.mjs: the zip has no package.json, and node would first try a .js as CommonJS (read,
  // fail on `import`, then read and compile it again as ESM: 60-80 ms of every call's start).
  outExtension: () => ({ js: ".mjs" }),
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
    // See src/whatwgUrlShim.ts: code node-fetch never runs, evaluated by every call.
    options.alias = { "whatwg-url": fileURLToPath(new URL("src/whatwgUrlShim.ts", import.meta.url)) };
    // Whitespace only (names and code as written): node parses and compiles the whole file on
    // every call's start, and a smaller file is parsed sooner.
    options.minifyWhitespace = true;
  },
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
