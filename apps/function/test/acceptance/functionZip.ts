import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildFunctionZip } from "../../src/functionZip.js";

const app = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/**
 * The function's zip as `pnpm --filter @kpi-pipeline/function package -- --config <kpis.yaml>`
 * builds it: the tsup bundle that `pnpm build` made, handler.py, and the given KPI definitions
 * (taken as they are: the suite packages a bad kpis.yaml on purpose, which `package` refuses).
 */
export function functionZip(config: string | Uint8Array): Uint8Array {
  const read = (path: string) => {
    try {
      return readFileSync(app(path));
    } catch {
      throw new Error(`apps/function/${path} is missing: run \`pnpm build\` first (pnpm test does)`);
    }
  };
  return buildFunctionZip({
    bundle: read("dist/function.mjs"),
    sourceMap: read("dist/function.mjs.map"),
    handler: read("python/handler.py"),
    config: typeof config === "string" ? readFileSync(config) : config,
  }).zip;
}
