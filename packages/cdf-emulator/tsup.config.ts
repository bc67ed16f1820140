import { copyFile } from "node:fs/promises";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli.ts", "testing/index": "src/testing/index.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  external: ["ajv", "ajv-formats", "@cognite/sdk"],
  // The function runtime runs its Python harness from a file next to the bundled module
  // (src/functions/pythonHarnessPath.ts); esbuild does not copy non-JS files, so we do.
  async onSuccess() {
    await copyFile("src/functions/harness.py", "dist/harness.py");
  },
});
