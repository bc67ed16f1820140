import { CdfConnection } from "./cdfConnection.js";
import type { CdfSettings } from "./cdfSettings.js";
import { ClientCredentialsTokenSource, type TokenSourceOptions } from "./clientCredentialsTokenSource.js";
import { CountingCogniteClient } from "./countingCogniteClient.js";

export interface ConnectOptions {
  /** Sent to CDF as x-cdp-app (default "kpi-pipeline"). */
  appId?: string;
  /** Token source tuning and test seams (fetch, clock). */
  tokens?: TokenSourceOptions;
}

/**
 * A connection to CDF. With client credentials the first token is fetched here, so bad
 * credentials fail now with a TokenRequestError rather than as a 401 on the first request.
 */
export async function connectCdf(
  settings: CdfSettings,
  options: ConnectOptions = {},
): Promise<CdfConnection> {
  const auth = settings.auth;
  const tokens =
    auth.kind === "clientCredentials" ? new ClientCredentialsTokenSource(auth, options.tokens) : undefined;
  const client = new CountingCogniteClient({
    appId: options.appId ?? "kpi-pipeline",
    project: settings.project,
    baseUrl: settings.baseUrl,
    oidcTokenProvider:
      tokens === undefined
        ? async () => (auth.kind === "token" ? auth.token.reveal() : "")
        : () => tokens.tokenForSdk(),
  });
  if (tokens !== undefined) await tokens.refresh();
  // Hands the token to the SDK now; otherwise its first request goes out bare and costs a 401.
  await client.authenticate();
  return new CdfConnection(settings, client, tokens);
}
