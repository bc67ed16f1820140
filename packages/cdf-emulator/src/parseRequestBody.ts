import type { z } from "zod";
import { CdfError } from "./context.js";

/**
 * Parse a request body with a zod schema; a mismatch is CDF's 400 with the field path, the way
 * CDF names it (`items[0].cronExpression: ...`), so a caller can find the bad field.
 */
export function parseRequestBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  endpoint: string,
): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path
      .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
      .join("");
    // CDF calls these unknown fields; zod's "Unrecognized key" reads like a map lookup.
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`
        : issue.message;
    return `${path === "" ? "body" : path}: ${message}`;
  });
  throw new CdfError(400, `Invalid request body for ${endpoint}: ${issues.join("; ")}`);
}
