// `pnpm --filter @kpi-pipeline/function package [-- --config kpis.yaml] [--out path]`: the
// deployable zip, after `tsup` has built dist/function.mjs. The KPI definitions are checked first:
// a zip with a kpis.yaml the function would refuse is never written.

import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { buildFunctionZip } from "../src/functionZip.js";

const app = fileURLToPath(new URL("..", import.meta.url));
// pnpm runs scripts in the package's directory; paths on the command line are the caller's.
const callerDir = process.env.INIT_CWD ?? process.cwd();

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"));
  const { values } = parseArgs({
    args,
    // --dist: where tsup wrote the bundle (tests build into their own directory).
    options: { config: { type: "string" }, out: { type: "string" }, dist: { type: "string" } },
    strict: true,
  });
  const configPath =
    values.config === undefined
      ? resolve(app, "../../examples/kpis.yaml")
      : resolve(callerDir, values.config);
  const out = values.out === undefined ? resolve(app, "dist/function.zip") : resolve(callerDir, values.out);
  // --out naming an input would replace it with the zip: the config (or the bundle) would be lost.
  const dist = values.dist === undefined ? resolve(app, "dist") : resolve(callerDir, values.dist);
  const inputs = [
    configPath,
    join(dist, "function.mjs"),
    join(dist, "function.mjs.map"),
    resolve(app, "python/handler.py"),
  ];
  if (inputs.includes(out))
    throw new Error(`--out ${out} is one of the zip's inputs; write the zip elsewhere`);
  const config = await readFile(configPath).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the KPI definitions ${configPath} (${error.code ?? error.message})`);
  });
  const kpis = parseKpiYaml(new TextDecoder().decode(config), configPath);
  const [bundle, sourceMap, handler] = await Promise.all(
    inputs.slice(1).map((file) =>
      readFile(file).catch(() => {
        throw new Error(
          `${file} is missing: run \`pnpm --filter @kpi-pipeline/function package\`, which builds it first`,
        );
      }),
    ),
  );
  const { zip, manifest } = buildFunctionZip({
    bundle: bundle!,
    sourceMap: sourceMap!,
    handler: handler!,
    config,
  });
  // Written beside and renamed: a reader never sees half a zip, and a failed write leaves the old one.
  const temp = `${out}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, zip);
    await rename(temp, out);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(
      `cannot write ${out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  // Said, because calls of a zip without kpis.json each spend 0.1-0.2 s more parsing the YAML.
  const json =
    manifest.files["kpis.json"] === undefined
      ? ", no kpis.json (JSON cannot hold this kpis.yaml exactly, e.g. a -0; calls parse the YAML)"
      : "";
  process.stdout.write(
    `${out}: version ${manifest.version}, ${kpis.length} KPIs from ${configPath}${json}, ${(zip.length / 1024).toFixed(0)} kB\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`package: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
