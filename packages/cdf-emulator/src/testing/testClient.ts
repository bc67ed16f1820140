// A real @cognite/sdk client for an emulator: tokens come from the emulator's OAuth2 token
// endpoint by client credentials, exactly as a CDF client gets them from its IdP, so token
// expiry on the virtual clock and the SDK's re-auth on 401 are exercised too.

import { CogniteClient } from "@cognite/sdk";

/** What a client needs from an emulator (`startEmulator`'s result has it). */
export interface EmulatorEndpoint {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  project: string;
}

/** Fetch a bearer token from the emulator by OAuth2 client credentials. */
export async function fetchEmulatorToken(
  endpoint: Pick<EmulatorEndpoint, "tokenUrl">,
  credentials: { clientId: string; clientSecret: string },
): Promise<string> {
  const response = await fetch(endpoint.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: `${new URL(endpoint.tokenUrl).origin}/.default`,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string };
  if (!response.ok || typeof body.access_token !== "string") {
    throw new Error(
      `Token request to ${endpoint.tokenUrl} for client '${credentials.clientId}' failed with HTTP ${response.status}: ` +
        `${JSON.stringify(body)}. Check the client id and secret (control API: POST /_emulator/clients).`,
    );
  }
  return body.access_token;
}

/**
 * A CogniteClient for the emulator; `credentials` selects another client than the default one
 * (e.g. a least-privilege client created with `POST /_emulator/clients`).
 */
export function createTestClient(
  emulator: EmulatorEndpoint,
  credentials: { clientId: string; clientSecret: string } = emulator,
): CogniteClient {
  return new CogniteClient({
    appId: "kpi-pipeline-test",
    project: emulator.project,
    baseUrl: emulator.baseUrl,
    oidcTokenProvider: () => fetchEmulatorToken(emulator, credentials),
  });
}
