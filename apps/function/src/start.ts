// `pnpm --filter @kpi-pipeline/function start -- --once [--config kpis.yaml] [--data '{"mode":"dry-run"}']`:
// one run on this machine against the CDF_* environment (a real project or the emulator), with
// the same result on stdout and the same log lines on stderr as a call of the deployed function.
// Its identity for the fence comes from KPI_FUNCTION_EXTERNAL_ID and KPI_FUNCTION_EPOCH.

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cdfSettingsFromEnvironment, withoutSecrets } from "@kpi-pipeline/cdf";
import { parseCallData } from "./callData.js";
import { FunctionInputError } from "./functionInputError.js";
import { jsonLog } from "./jsonLog.js";
import { runFunction } from "./runFunction.js";
import { userMessage } from "./userMessage.js";

const USAGE =
  "usage: pnpm --filter @kpi-pipeline/function start -- --once [--config kpis.yaml] [--data '<call data as JSON>']";

async function main(): Promise<number> {
  const secrets: string[] = [];
  const log = jsonLog((line) => process.stderr.write(line), secrets);
  try {
    const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"));
    let values: { once?: boolean; config?: string; data?: string };
    try {
      values = parseArgs({
        args,
        options: { once: { type: "boolean" }, config: { type: "string" }, data: { type: "string" } },
        strict: true,
      }).values;
    } catch (error) {
      throw new FunctionInputError(`${(error as Error).message}\n${USAGE}`);
    }
    if (values.once !== true) {
      throw new FunctionInputError(
        `--once is required: this runs one call locally; for runs every 10 minutes, deploy the zip with a schedule\n${USAGE}`,
      );
    }
    const callerDir = process.env.INIT_CWD ?? process.cwd();
    const app = fileURLToPath(new URL("..", import.meta.url));
    const configPath =
      values.config === undefined
        ? resolve(app, "../../examples/kpis.yaml")
        : resolve(callerDir, values.config);
    const text = await readFile(configPath, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new FunctionInputError(
        `cannot read the KPI definitions ${configPath} (${error.code ?? error.message})`,
      );
    });
    let given: unknown;
    if (values.data !== undefined) {
      try {
        given = JSON.parse(values.data);
      } catch {
        throw new FunctionInputError(
          `--data is not JSON: give the call's data, e.g. --data '{"mode":"dry-run"}'`,
        );
      }
    }
    const data = parseCallData(given);
    if (!data.ok) throw new FunctionInputError(`--data is wrong: ${data.problems.join("; ")}`);
    const settings = cdfSettingsFromEnvironment(process.env);
    if (settings.auth.kind === "clientCredentials") secrets.push(settings.auth.clientSecret.reveal());
    const result = await runFunction(
      { data: data.data, callInfo: {}, settings },
      { config: { text, source: configPath }, env: process.env, version: "dev", log },
    );
    process.stdout.write(`${withoutSecrets(JSON.stringify(result, null, 2), secrets)}\n`);
    return 0;
  } catch (error) {
    const message = withoutSecrets(userMessage(error), secrets);
    log("error", message);
    process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    return 1;
  }
}

const code = await main();
// The run may still be in flight after a deadline: exit once the result is out.
process.stdout.write("", () => process.exit(code));
