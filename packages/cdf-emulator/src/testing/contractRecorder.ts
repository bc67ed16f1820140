// The seam between the emulator's server and the contract: the server reports every exchange
// under /api/v1 (E1's server.ts calls `contractHook?.onExchange(...)`), the recorder validates it
// and keeps the violations until a test asks. Validating in the server covers every client
// (the SDK, our own adapters, raw fetch) without patching any of them.

import { type ContractValidator, createContractValidator } from "./contract.js";

/** What `startEmulator({ contractHook })` calls once per handled `/api/v1/...` request. */
export interface ContractHook {
  /**
   * @param path the request path as received, with its query string (e.g. `/api/v1/projects/p/timeseries?limit=5`)
   * @param requestBody the parsed JSON request body (undefined when there was none)
   * @param responseBody the JSON value sent back (undefined for empty or non-JSON bodies)
   */
  onExchange(method: string, path: string, requestBody: unknown, status: number, responseBody: unknown): void;
}

export interface ContractViolation {
  method: string;
  path: string;
  status: number;
  direction: "request" | "response";
  errors: string[];
}

export interface ContractRecorder extends ContractHook {
  readonly violations: readonly ContractViolation[];
  /** Number of exchanges seen (a suite that saw none did not exercise the contract). */
  readonly exchanges: number;
  /** Throws one error listing every violation since the last call, then forgets them. */
  assertNoViolations(): void;
  clear(): void;
}

/** Only the JSON on the wire counts: `undefined` fields vanish, Dates become strings. */
function asSentOnTheWire(body: unknown): unknown {
  if (body === undefined) return undefined;
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    try {
      return JSON.parse(body.toString());
    } catch {
      return undefined;
    }
  }
  return JSON.parse(JSON.stringify(body));
}

export function formatViolations(violations: readonly ContractViolation[]): string {
  return violations
    .map(
      (v) =>
        `${v.method} ${v.path} -> ${v.status} (${v.direction}):\n${v.errors.map((e) => `    ${e}`).join("\n")}`,
    )
    .join("\n");
}

export function createContractRecorder(
  validator: ContractValidator = createContractValidator(),
): ContractRecorder {
  const violations: ContractViolation[] = [];
  let exchanges = 0;
  return {
    get violations() {
      return violations;
    },
    get exchanges() {
      return exchanges;
    },
    onExchange(method, path, requestBody, status, responseBody) {
      exchanges++;
      if (!path.startsWith("/api/v1/")) return;
      const operation = validator.findOperation(method, path);
      // An unknown route answered 404/405 is the emulator behaving like CDF, not a violation.
      if (!operation && (status === 404 || status === 405)) return;
      // A request the emulator rejected may break the spec on purpose (a test of a limit); a
      // request it accepted must conform, or the emulator is more lenient than CDF.
      if (status < 400) {
        const errors = validator.validateRequest(method, path, asSentOnTheWire(requestBody));
        if (errors.length > 0) violations.push({ method, path, status, direction: "request", errors });
      }
      const errors = validator.validateResponse(method, path, status, asSentOnTheWire(responseBody));
      if (errors.length > 0) violations.push({ method, path, status, direction: "response", errors });
    },
    assertNoViolations() {
      if (violations.length === 0) return;
      const text = formatViolations(violations);
      violations.length = 0;
      throw new Error(
        `Contract violations against Cognite's OpenAPI document (fix the emulator or, if the document is wrong, ` +
          `add a KnownSpecDeviation with the reason):\n${text}`,
      );
    },
    clear() {
      violations.length = 0;
    },
  };
}
