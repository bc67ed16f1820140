import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cdfSettingsFromToken, withoutSecrets } from "@kpi-pipeline/cdf";
import { parseFunctionInput } from "./functionInput.js";
import { jsonLog, type Log } from "./jsonLog.js";
import { readBounded } from "./readBounded.js";
import { runFunction } from "./runFunction.js";
import { userMessage } from "./userMessage.js";

// The node process handler.py starts: the payload on stdin, the result as one JSON line on
// stdout and exit code 0, or {"error": "<one sentence>"} and exit code 1. Logs go to stderr.
// kpis.yaml and manifest.json are read from beside the bundle, as the zip lays them out.

export interface MainIo {
  stdin: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** The directory holding kpis.yaml and manifest.json (the unpacked zip). */
  dir: string;
  elapsed?: () => number;
}

export async function functionMain(io: MainIo): Promise<number> {
  const secrets: string[] = [];
  const log: Log = (level, message, fields) => jsonLog(io.stderr, secrets)(level, message, fields);
  try {
    const text = await readBounded(io.stdin);
    // Known before anything is checked: an error about `data` may quote a value that is the token.
    secrets.push(...tokenIn(text));
    const input = parseFunctionInput(text);
    secrets.push(input.token);
    const config = await readConfig(io.dir);
    const settings = cdfSettingsFromToken(input);
    const result = await runFunction(
      { data: input.data, callInfo: input.callInfo, settings },
      {
        config,
        env: io.env,
        version: await versionOf(io.dir),
        log,
        ...(io.elapsed === undefined ? {} : { elapsed: io.elapsed }),
      },
    );
    io.stdout(`${withoutSecrets(JSON.stringify(result), secrets)}\n`);
    return 0;
  } catch (error) {
    const message = withoutSecrets(userMessage(error), secrets);
    log("error", message);
    io.stdout(`${JSON.stringify({ error: message })}\n`);
    return 1;
  }
}

export async function readConfig(dir: string): Promise<{ text: string; source: string; json?: string }> {
  const path = join(dir, "kpis.yaml");
  try {
    const text = await readFile(path, "utf8");
    // kpis.json is optional: the zip has it when JSON keeps the document exactly (functionZip.ts).
    const json = await readFile(join(dir, "kpis.json"), "utf8").catch(() => undefined);
    return { text, source: "kpis.yaml", ...(json === undefined ? {} : { json }) };
  } catch (error) {
    throw new Error(
      `The function's zip has no readable kpis.yaml (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); build it with \`pnpm --filter @kpi-pipeline/function package\``,
    );
  }
}

/** The content hash the package step wrote; "dev" when run from the sources. */
async function versionOf(dir: string): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "dev";
  }
}

/** The payload's token, if it is JSON with a string `token`; nothing otherwise. */
function tokenIn(text: string): string[] {
  try {
    const payload: unknown = JSON.parse(text);
    if (typeof payload === "object" && payload !== null && "token" in payload) {
      const token = (payload as { token: unknown }).token;
      if (typeof token === "string" && token.length > 0) return [token];
    }
  } catch {
    // parseFunctionInput says what is wrong with it.
  }
  return [];
}
