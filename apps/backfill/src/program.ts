import { Command, CommanderError } from "commander";
import { BrokenPipeError } from "./brokenPipeError.js";
import { DataError } from "./dataError.js";
import { displayText } from "./displayText.js";
import { type EvaluateIo, runEvaluate } from "./evaluate.js";
import { type EvaluateFlags, resolveEvaluateOptions } from "./evaluateOptions.js";
import { InterruptedError } from "./interruptedError.js";
import { IoError } from "./ioError.js";
import { UsageError } from "./usageError.js";

/** The process around the CLI: streams, terminal and environment. */
export interface CliIo extends EvaluateIo {
  env: Readonly<Record<string, string | undefined>>;
}

// Runnable as shown from the repository root (a test runs each one); installed elsewhere, the
// command is kpi-backfill without pnpm.
const EVALUATE_EXAMPLES = `
Examples (from the repository root):
  # Evaluate the example KPIs over three days; results as CSV on stdout
  pnpm kpi-backfill evaluate --config examples/kpis.yaml --input examples/points.csv \\
    --from 2024-03-30T00:00:00Z --to 2024-04-02T00:00:00Z

  # An export and its corrections (a later file wins on equal series and timestamp), JSONL results
  pnpm kpi-backfill evaluate --config examples/kpis.yaml \\
    --input examples/points.csv --input examples/corrections.jsonl \\
    --from 2024-03-30 --to 2024-04-02 --out results.jsonl

  # Evaluate even if some input series were not exported; a JSON summary on stderr
  pnpm kpi-backfill evaluate --config examples/kpis.yaml --input examples/points.csv \\
    --allow-missing --json --from 2024-03-30 --to 2024-03-31 --out results.csv

Exit codes: 0 success, 1 bad data (rows, kpis.yaml, missing input series), 2 usage error,
3 the system refused a read or write (disk full, permission denied), 70 a bug in kpi-backfill
(please report it), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
`;

/** Exit code for an error that is a bug in kpi-backfill (BSD sysexits EX_SOFTWARE). */
const EXIT_INTERNAL = 70;

/** Runs `kpi-backfill` with `argv` (arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  const color = io.stderrIsTTY && io.env.NO_COLOR === undefined;
  const report = (exitCode: number, message: string, hint?: string): number => {
    if (json) {
      io.stderr.write(`${JSON.stringify({ ok: false, exitCode, error: message })}\n`);
    } else {
      const label = color ? "\x1b[31merror:\x1b[0m" : "error:";
      io.stderr.write(`kpi-backfill: ${label} ${message}\n`);
      if (hint !== undefined) io.stderr.write(`${hint}\n`);
    }
    return exitCode;
  };
  const reportError = (error: UsageError | DataError | IoError): number =>
    report(
      error.exitCode,
      error.message,
      error instanceof UsageError ? "Run `kpi-backfill evaluate --help` for usage and examples." : undefined,
    );

  const program = new Command("kpi-backfill")
    .description("Evaluate the KPIs defined in kpis.yaml over exported points, offline.")
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
    .option("--config <file>", "KPI definitions (kpis.yaml)", once("--config"))
    .option(
      "--input <file>",
      "points: *.csv (externalId,timestamp,value,status) or *.jsonl/*.ndjson; repeat for several, later files win",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--from <time>",
      "first window start, ISO 8601 (e.g. 2024-03-30T00:00:00Z) or epoch ms; inclusive",
      once("--from"),
    )
    .option(
      "--to <time>",
      "last window end, ISO 8601 or epoch ms; windows must end at or before it",
      once("--to"),
    )
    .option("--out <file>", 'result file, written atomically; "-" or absent for stdout', once("--out"))
    .option(
      "--format <format>",
      "result format: csv or jsonl (default: from the --out extension, else csv)",
      once("--format"),
    )
    .option("--allow-missing", "evaluate an input series found in no input file as empty instead of failing")
    .option("--json", "print a JSON summary (or the error) on stderr")
    .addHelpText("after", EVALUATE_EXAMPLES)
    .action(async (flags: EvaluateFlags) => {
      const options = resolveEvaluateOptions(flags);
      const summary = await runEvaluate(options, io);
      if (options.json) io.stderr.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
    });

  // No arguments: what the tool can do, as --help shows it; not an error.
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof DataError || error instanceof IoError) {
      return reportError(error);
    }
    // The reader of stdout went away (`| head`): the run stops quietly, as Unix tools do.
    if (error instanceof BrokenPipeError) return 0;
    if (error instanceof InterruptedError) return report(error.exitCode, error.message);
    if (io.signal?.aborted && error === io.signal.reason) {
      return report(130, "interrupted; no result file was written (an existing one is unchanged)");
    }
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      if (error.exitCode === 0) return 0;
      return reportError(new UsageError(error.message.replace(/^error: /, "")));
    }
    // The last line of defence: a bug still ends in one sentence, never a stack trace.
    return report(
      EXIT_INTERNAL,
      `internal error: ${oneLine(error)}. This is a bug in kpi-backfill; please report it with the command you ran`,
    );
  }
}

/** An option parser that refuses a second value: which of two --from values was meant is a guess. */
function once(flag: string): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined) {
      throw new UsageError(
        `${flag} is given twice (${displayText(previous)} and ${displayText(value)}); give it once`,
      );
    }
    return value;
  };
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return displayText(text.split("\n")[0]!, 300, { quoted: false });
}
