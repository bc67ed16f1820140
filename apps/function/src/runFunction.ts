import { type CdfPorts, type CdfSettings, connectCdf, createCdfPorts } from "@kpi-pipeline/cdf";
import { type Clock, type KpiDefinition, type RunReport, runKpis } from "@kpi-pipeline/kpi-core";
import type { CallData } from "./callData.js";
import { dryRunPorts } from "./dryRunPorts.js";
import { elapsedClock } from "./elapsedClock.js";
import { type FunctionConfig, functionDefinitions } from "./functionDefinitions.js";
import type { CallInfo } from "./functionInput.js";
import { FunctionInputError } from "./functionInputError.js";
import { type FunctionResult, functionResult } from "./functionResult.js";
import type { Log } from "./jsonLog.js";
import { selfIdentity } from "./selfIdentity.js";
import { serverStart } from "./serverStart.js";
import { withDeadline } from "./withDeadline.js";

// One call of the function: connect with the call's token, learn the timeout and the server's
// time, check who we are, run runKpis within the budget, and summarize. The imperative shell
// around kpi-core; main.ts does the process's stdin, stdout and exit code around this.

/** How long after CDF's timeout a call's open run record counts as a dead call's (clock skew). */
const STALE_RUN_MARGIN_MS = 60_000;
/** Share of the function timeout a run spends by default, leaving the rest for a slow last batch. */
export const DEFAULT_BUDGET_SHARE = 0.7;

export interface FunctionEnvironment {
  /** kpis.yaml's text and where it came from, for messages, and the zip's kpis.json if any. */
  config: FunctionConfig;
  /** The function's environment variables (KPI_FUNCTION_EPOCH, KPI_FUNCTION_EXTERNAL_ID). */
  env: Readonly<Record<string, string | undefined>>;
  version: string;
  log: Log;
  /** Real elapsed milliseconds; performance.now() unless a test moves it. */
  elapsed?: () => number;
}

/** One call: what it asks for, where it runs, and with whose credentials. */
export interface FunctionCall {
  data: CallData;
  callInfo: CallInfo;
  /** The call's token in CDF; client credentials from CDF_* for a local run. */
  settings: CdfSettings;
}

export async function runFunction(
  input: FunctionCall,
  environment: FunctionEnvironment,
): Promise<FunctionResult> {
  const elapsed = environment.elapsed ?? (() => performance.now());
  const started = elapsed();
  const { data } = input;
  const { log } = environment;
  const kpis = functionDefinitions(environment.config);
  if (data.mode === "backfill") checkKpiKeys(data, kpis);

  const cdf = await connectCdf(input.settings, { appId: "kpi-pipeline-function" });
  // The start's requests need nothing from each other, so they go out together: CDF's time and
  // the timeout, who we are, and the subscriptions over the KPIs' inputs (a few round trips of
  // their own). Their failures are reported in the order the requests once ran in, one after
  // another, so each says what it said then.
  const starting = serverStart(cdf);
  let clock: Clock | undefined;
  // The ports keep the clock for runKpis, which runs only once CDF's time is known.
  const runClock: Clock = {
    now: () => {
      if (clock === undefined) throw new Error("the run's clock was read before CDF's time was known");
      return clock.now();
    },
  };
  let identifying: Promise<string>;
  let connecting: Promise<CdfPorts> | undefined;
  if (data.mode === "dry-run") {
    identifying = Promise.resolve(`dry-run of ${environment.version}`);
  } else {
    try {
      identifying = selfIdentity(cdf, input.callInfo, environment.env);
      connecting = createCdfPorts(cdf, kpis, { clock: runClock });
    } catch (error) {
      identifying = Promise.reject(error);
    }
  }
  // Handled here too: a failure waits while an earlier one is reported, and must not crash the
  // process as an unhandled rejection meanwhile.
  identifying.catch(() => {});
  connecting?.catch(() => {});

  const start = await starting;
  const budgetMs = budgetOf(data, start.timeoutMs);
  // Half of what the budget leaves before CDF's timeout: a batch that started just before the
  // budget ran out may finish, a hung request may not.
  const deadlineMs = budgetMs + (start.timeoutMs - budgetMs) / 2;
  clock = elapsedClock(start.serverNow ?? Date.now(), start.receivedAt, elapsed);
  const at = clock.now();
  const clockSource = start.serverNow === undefined ? "wall" : "server";
  if (clockSource === "wall") log("warn", "CDF sent no Date header; the run plans with this worker's clock");

  const self = await identifying;
  log("info", `${data.mode} run of ${kpis.length} KPIs as ${self}`, {
    mode: data.mode,
    self,
    version: environment.version,
    now: new Date(at).toISOString(),
    clock: clockSource,
    budgetSeconds: budgetMs / 1000,
    timeoutSeconds: start.timeoutMs / 1000,
  });

  let dry: ReturnType<typeof dryRunPorts> | undefined;
  const run = async (): Promise<RunReport> => {
    if (data.mode === "dry-run") {
      dry = dryRunPorts(cdf, self, runClock);
      return runKpis(kpis, dry.ports, { self, subscription: "dry-run", budgetMs });
    }
    // Begun with the other start requests: every call but a dry run has it.
    const { ports, subscription } = await connecting!;
    return runKpis(kpis, ports, {
      self,
      subscription,
      budgetMs,
      // CDF ends a call at its timeout: a run's record still open after that (and a minute for
      // clocks) is of a call that died, and no longer makes later calls compute twice.
      staleRunMs: start.timeoutMs + STALE_RUN_MARGIN_MS,
      ...(data.mode === "backfill"
        ? {
            recompute: {
              from: data.from,
              to: data.to,
              ...(data.kpis === undefined ? {} : { kpis: data.kpis }),
            },
          }
        : {}),
    });
  };
  const outcome = await withDeadline(run(), deadlineMs - (elapsed() - started));
  const report = outcome.done ? outcome.value : undefined;
  if (report === undefined) {
    log(
      "warn",
      `the run did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped before CDF's timeout`,
    );
  }
  for (const kpi of report?.kpis ?? []) {
    log(kpi.summary.error === undefined ? "info" : "error", `KPI ${kpi.key}`, { kpi: kpi.key, ...kpi });
  }
  const result = functionResult({
    data,
    version: environment.version,
    self,
    // runKpis' own now (read when it started), which its summaries carry too.
    at: report?.at ?? at,
    clock: clockSource,
    budgetMs,
    elapsedMs: elapsed() - started,
    requests: cdf.requestCount,
    report,
    ...(dry === undefined
      ? {}
      : { dryRun: { series: [...dry.output.bySeries.values()], differences: dry.output.differences } }),
  });
  return result;
}

function checkKpiKeys(data: Extract<CallData, { mode: "backfill" }>, kpis: readonly KpiDefinition[]): void {
  if (data.kpis === undefined) return;
  const known = new Set(kpis.map((kpi) => kpi.key));
  const unknown = data.kpis.filter((key) => !known.has(key));
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 80)));
  throw new FunctionInputError(
    `data.kpis names ${unknown.length === 1 ? "a KPI" : `${unknown.length} KPIs`} not in this function's kpis.yaml: ${shown.join(", ")}${unknown.length > 5 ? ", ..." : ""}`,
  );
}

function budgetOf(data: CallData, timeoutMs: number): number {
  if (data.budgetSeconds === undefined) return DEFAULT_BUDGET_SHARE * timeoutMs;
  const budgetMs = data.budgetSeconds * 1000;
  if (budgetMs >= timeoutMs) {
    throw new FunctionInputError(
      `data.budgetSeconds ${data.budgetSeconds} is not below the function timeout (${timeoutMs / 1000} s): the run would be killed before it reports; use at most ${Math.floor((0.9 * timeoutMs) / 1000)}`,
    );
  }
  return budgetMs;
}
