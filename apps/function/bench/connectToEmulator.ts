import { type CdfConnection, cdfSettingsFromEnvironment, connectCdf } from "@kpi-pipeline/cdf";

/** A connection to the emulator whose endpoint line (`--json`) the bench read at its start. */
export function connectToEmulator(endpoint: Record<string, string | undefined>): Promise<CdfConnection> {
  return connectCdf(
    cdfSettingsFromEnvironment({
      CDF_PROJECT: endpoint.project,
      CDF_BASE_URL: endpoint.baseUrl,
      CDF_TOKEN_URL: endpoint.tokenUrl,
      CDF_CLIENT_ID: endpoint.clientId,
      CDF_CLIENT_SECRET: endpoint.clientSecret,
    }),
  );
}
