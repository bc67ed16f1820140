/** The identity provider did not give a token; the message names the token URL and client, never the secret. */
export class TokenRequestError extends Error {
  override readonly name = "TokenRequestError";
  /** HTTP status from the token endpoint, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}
