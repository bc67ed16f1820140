import { CdfConfigurationError, CdfRequestError } from "@kpi-pipeline/cdf";
import { FunctionInputError } from "./functionInputError.js";

/**
 * The one sentence a failed call reports. Errors made for users (a bad payload or config, a
 * refused request) say what and where already; anything else is a bug in the function, said so
 * without its stack, which stays out of the result and the logs.
 */
export function userMessage(error: unknown): string {
  if (error instanceof FunctionInputError || error instanceof CdfConfigurationError) return error.message;
  if (error instanceof CdfRequestError) return error.message;
  if (error instanceof Error) {
    // Written for users: each names what is wrong and where (a Raw row: which, and what to do).
    if (
      error.name === "TokenRequestError" ||
      error.name === "KpiConfigError" ||
      error.name === "StoredRowError"
    )
      return error.message;
    return `The function failed unexpectedly (${error.name}: ${error.message.slice(0, 500)}); the next scheduled call starts over, and nothing is checkpointed past what was written. Report this with the call's logs.`;
  }
  return `The function failed unexpectedly (${String(error).slice(0, 200)}); report this with the call's logs.`;
}
