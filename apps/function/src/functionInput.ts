import { z } from "zod";
import { type CallData, parseCallData } from "./callData.js";
import { FunctionInputError } from "./functionInputError.js";
import { quoteKeys } from "./quoteKeys.js";

// What handler.py sends node on stdin: the call's data and info as CDF gave them, and the
// project, base URL and token of the client CDF made for the call. On stdin, never in argv or
// the environment, where other processes on the machine could read the token.

/** CDF's function_call_info; only what the run uses is checked, the rest passes through. */
const callInfoSchema = z.looseObject({
  function_id: z.number().int().optional(),
  call_id: z.number().int().optional(),
  schedule_id: z.number().int().nullish(),
  scheduled_time: z.union([z.number(), z.string()]).nullish(),
});

const payloadSchema = z.strictObject({
  data: z.unknown().optional(),
  function_call_info: callInfoSchema.nullish(),
  project: z.string(),
  baseUrl: z.string(),
  token: z.string(),
});

export type CallInfo = z.output<typeof callInfoSchema>;

export interface FunctionInput {
  data: CallData;
  callInfo: CallInfo;
  project: string;
  baseUrl: string;
  token: string;
}

/**
 * The payload text as a FunctionInput. Throws FunctionInputError naming every problem; the token
 * is never quoted, whatever is wrong with it.
 */
export function parseFunctionInput(text: string): FunctionInput {
  if (text.trim() === "") {
    throw new FunctionInputError(
      "The function got no input on stdin: handler.py sends {data, function_call_info, project, baseUrl, token} as JSON",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Only the position: JSON.parse's message quotes the text, which may hold the token.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new FunctionInputError(
      `The function's input on stdin is not JSON${position === undefined ? "" : ` (at character ${position})`}: handler.py sends {data, function_call_info, project, baseUrl, token}`,
    );
  }
  const result = payloadSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown keys ${quoteKeys(issue.keys)}`;
      const where = issue.path.map(String).join(".") || "the input";
      const given = typeof json === "object" && json !== null && String(issue.path[0]) in json;
      if (issue.code !== "invalid_type") return `${where}: ${issue.message}`;
      return !given && issue.path.length === 1
        ? `${where} is missing`
        : `${where} must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
    });
    throw new FunctionInputError(`The function's input on stdin is wrong: ${problems.join("; ")}`);
  }
  const data = parseCallData(result.data.data);
  if (!data.ok) {
    throw new FunctionInputError(
      data.problems.length === 1
        ? `The call's data is wrong: ${data.problems[0]}`
        : `The call's data has ${data.problems.length} problems: ${data.problems.join("; ")}`,
    );
  }
  return {
    data: data.data,
    callInfo: result.data.function_call_info ?? {},
    project: result.data.project,
    baseUrl: result.data.baseUrl,
    token: result.data.token,
  };
}
