import { Command, CommanderError, Option } from "commander";
import { DataError } from "./dataError.js";
import { type EvaluateIo, runEvaluate } from "./evaluate.js";
import { type EvaluateFlags, resolveEvaluateOptions } from "./evaluateOptions.js";
import { UsageError } from "./usageError.js";

/** The process around the CLI: streams, terminal and environment. */
export interface CliIo extends EvaluateIo {
  env: Readonly<Record<string, string | undefined>>;
}

const EVALUATE_EXAMPLES = `
Examples:
  # Evaluate the example KPIs over three days; results as CSV on stdout
  kpi-backfill evaluate --config examples/kpis.yaml --input examples/points.csv \\
    --from 2024-03-30T00:00:00Z --to 2024-04-02T00:00:00Z

  # Two exports (the later file wins on equal externalId + timestamp), JSONL result file
  kpi-backfill evaluate --config kpis.yaml --input march.csv --input corrections.jsonl \\
    --from 2024-03-01T00:00:00Z --to 2024-04-01T00:00:00Z --out results.jsonl

  # Evaluate even if some input series were not exported; machine summary on stderr
  kpi-backfill evaluate --config kpis.yaml --input points.csv --allow-missing --json \\
    --from 2024-03-30 --to 2024-03-31 --out results.csv

Exit codes: 0 success, 1 bad data (rows, kpis.yaml, missing input series), 2 usage error.
`;

/** Runs `kpi-backfill` with `argv` (arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  const color = io.stderrIsTTY && io.env.NO_COLOR === undefined;
  const reportError = (error: UsageError | DataError): number => {
    if (json) {
      io.stderr.write(`${JSON.stringify({ ok: false, exitCode: error.exitCode, error: error.message })}\n`);
    } else {
      const label = color ? "\x1b[31merror:\x1b[0m" : "error:";
      io.stderr.write(`kpi-backfill: ${label} ${error.message}\n`);
      if (error instanceof UsageError)
        io.stderr.write("Run `kpi-backfill evaluate --help` for usage and examples.\n");
    }
    return error.exitCode;
  };

  const program = new Command("kpi-backfill")
    .description("Evaluate KPIs defined in kpis.yaml offline, and backfill them in CDF.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Commander's own parse errors are reported by reportError below, in one format.
      writeErr: (text) => {
        if (!text.startsWith("error:")) io.stderr.write(text);
      },
    })
    .showHelpAfterError(false);

  program
    .command("evaluate")
    .description(
      "Evaluate every KPI over every window in [--from, --to) from exported points (CSV/JSONL), no CDF needed.\n" +
        "Writes one row per KPI per window: externalId,timestamp,value,status (window start in epoch ms).",
    )
    .option("--config <file>", "KPI definitions (kpis.yaml)")
    .option(
      "--input <file>",
      "points: *.csv (externalId,timestamp,value,status) or *.jsonl/*.ndjson; repeat for several, later files win",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--from <time>",
      "first window start, ISO 8601 (e.g. 2024-03-30T00:00:00Z) or epoch ms; inclusive",
    )
    .option("--to <time>", "last window end, ISO 8601 or epoch ms; windows must end at or before it")
    .option("--out <file>", 'result file, written atomically; "-" or absent for stdout')
    .addOption(
      new Option("--format <format>", "result format (default: from the --out extension, else csv)").choices([
        "csv",
        "jsonl",
      ]),
    )
    .option("--allow-missing", "evaluate an input series found in no input file as empty instead of failing")
    .option("--json", "print a JSON summary (or the error) on stderr")
    .addHelpText("after", EVALUATE_EXAMPLES)
    .action(async (flags: EvaluateFlags) => {
      const options = resolveEvaluateOptions(flags);
      const summary = await runEvaluate(options, io);
      if (options.json) io.stderr.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof DataError) return reportError(error);
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      if (error.exitCode === 0) return 0;
      return reportError(new UsageError(error.message.replace(/^error: /, "")));
    }
    throw error;
  }
}
