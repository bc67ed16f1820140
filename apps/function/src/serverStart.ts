import { type CdfConnection, CdfRequestError } from "@kpi-pipeline/cdf";
import { z } from "zod";
import { FunctionInputError } from "./functionInputError.js";

// The first request of every call: the function timeout, and the time on CDF's server. The run
// plans with the server's clock (the Date header) rather than the worker's: a worker whose clock
// is off would otherwise declare windows closed that are not, or miss closed ones; and on the
// emulator the header follows its virtual clock, so the function sees the tests' simulated time.

const limitsSchema = z.looseObject({ timeoutMinutes: z.number().positive() });

export interface ServerStart {
  /** The function timeout, in milliseconds. */
  timeoutMs: number;
  /** The server's time when it answered (epoch ms), or undefined when it sent no usable Date header. */
  serverNow: number | undefined;
  /** performance.now() when the answer arrived, to carry serverNow forward by real elapsed time. */
  receivedAt: number;
}

export async function serverStart(cdf: CdfConnection): Promise<ServerStart> {
  const response = await cdf
    .call("GET /functions/limits", (client) =>
      client.get<unknown>(`/api/v1/projects/${encodeURIComponent(cdf.project)}/functions/limits`),
    )
    .catch((error: unknown) => {
      throw refused(error) ?? error;
    });
  const receivedAt = performance.now();
  const limits = limitsSchema.safeParse(response.data);
  if (!limits.success) {
    throw new Error(
      "GET /functions/limits answered without a timeoutMinutes; is baseUrl a CDF cluster? Set data.budgetSeconds to run anyway",
    );
  }
  return {
    timeoutMs: limits.data.timeoutMinutes * 60_000,
    serverNow: dateHeader(response.headers),
    receivedAt,
  };
}

/** The Date header as epoch ms; undefined when absent or unreadable. */
export function dateHeader(headers: Readonly<Record<string, unknown>>): number | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== "date" || typeof value !== "string") continue;
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/**
 * The first request is where a token CDF will not take shows: said once, with what to do, before
 * anything is read or written.
 */
function refused(error: unknown): FunctionInputError | undefined {
  if (!(error instanceof CdfRequestError)) return undefined;
  if (error.status === 401) {
    return new FunctionInputError(
      `CDF refused the call's token (${error.message}) In CDF: the session behind the schedule or call was revoked or its credentials removed; create the schedule again with a new session nonce.`,
    );
  }
  if (error.status === 403) {
    return new FunctionInputError(
      `The call's token may not read /functions/limits (${error.message}) Give the credentials behind the schedule functionsAcl:READ, with the datapoint, time series, Raw and subscription rights the README lists.`,
    );
  }
  return undefined;
}
