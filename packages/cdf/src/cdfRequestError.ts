import { CogniteError, CogniteMultiError, HttpError } from "@cognite/sdk";
import { withoutSecrets } from "./withoutSecrets.js";

// Every failure of a CDF request, whichever part of the SDK it came from (CogniteError,
// CogniteMultiError, HttpError, node-fetch's FetchError), becomes one error with one sentence:
// which operation, what CDF (or the network) said, and what to do. The SDK's own messages carry
// JSON dumps and stack-like detail that should not reach a user.

export type CdfFailureKind = "network" | "http";

/** A CDF request failed; `status` is undefined when no answer came (network failure). */
export class CdfRequestError extends Error {
  override readonly name = "CdfRequestError";
  readonly operation: string;
  readonly kind: CdfFailureKind;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** CDF's `missing` items (unknown ids), when given. */
  readonly missing: readonly unknown[];
  /** CDF's `duplicated` items (existing externalIds), when given. */
  readonly duplicated: readonly unknown[];

  constructor(fields: {
    message: string;
    operation: string;
    kind: CdfFailureKind;
    status?: number | undefined;
    requestId?: string | undefined;
    missing?: readonly unknown[] | undefined;
    duplicated?: readonly unknown[] | undefined;
  }) {
    super(fields.message);
    this.operation = fields.operation;
    this.kind = fields.kind;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.missing = fields.missing ?? [];
    this.duplicated = fields.duplicated ?? [];
  }

  /** A failure worth repeating the same (idempotent) request for: no answer, 429 or 5xx. */
  get transient(): boolean {
    return (
      this.kind === "network" || this.status === 429 || (this.status !== undefined && this.status >= 500)
    );
  }

  /**
   * The request's error as a CdfRequestError, or the error itself when it is not a request
   * failure (a bug should surface as what it is). `secrets` are cut out of every message.
   */
  static from(error: unknown, operation: string, secrets: readonly string[] = []): unknown {
    if (error instanceof CdfRequestError) return error;
    const redact = (text: string) => withoutSecrets(text, secrets);
    if (error instanceof CogniteMultiError) {
      const first = error.errors[0];
      return CdfRequestError.from(first ?? new Error("unknown failure"), operation, secrets);
    }
    if (error instanceof CogniteError) {
      return new CdfRequestError({
        message: redact(sentence(operation, error.status, error.errorMessage, error.requestId)),
        operation,
        kind: "http",
        status: error.status,
        requestId: error.requestId,
        missing: error.missing,
        duplicated: error.duplicated,
      });
    }
    if (error instanceof HttpError) {
      const body = typeof error.data === "string" ? error.data : JSON.stringify(error.data ?? "");
      return new CdfRequestError({
        message: redact(sentence(operation, error.status, body.slice(0, 200), undefined)),
        operation,
        kind: "http",
        status: error.status,
      });
    }
    if (error instanceof Error && error.name === "FetchError") {
      return new CdfRequestError({
        message: redact(
          `${operation} got no answer from CDF (${reasonOf(error.message)}). Check the network and CDF_BASE_URL/CDF_CLUSTER; the request is safe to retry if it is idempotent.`,
        ),
        operation,
        kind: "network",
      });
    }
    return error;
  }
}

function sentence(
  operation: string,
  status: number,
  cdfMessage: string,
  requestId: string | undefined,
): string {
  const said = cdfMessage.trim() === "" ? "" : `: ${oneLine(cdfMessage)}`;
  const id = requestId === undefined ? "" : ` (x-request-id ${requestId})`;
  return `${operation} failed with HTTP ${status}${said}${id}. ${adviceFor(status)}`;
}

function adviceFor(status: number): string {
  if (status === 401) return "The token was refused: check the client credentials, or get a new token.";
  if (status === 403)
    return "The client lacks a capability for this resource (see the message), or the project name is wrong.";
  if (status === 429)
    return "CDF is rate limiting this project; retry later or make fewer concurrent requests.";
  if (status >= 500) return "CDF had a server-side failure; retry later.";
  return "Fix the request as the message says.";
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** node-fetch says "request to <url> failed, reason: <why>"; the operation already names the request. */
function reasonOf(message: string): string {
  const match = /reason: (.*)$/s.exec(message);
  return oneLine(match?.[1] ?? message);
}
