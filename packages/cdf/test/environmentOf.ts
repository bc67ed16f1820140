import type { EmulatorEndpoint } from "@kpi-pipeline/cdf-emulator/testing";

/** The CDF_* variables a deployment would set, pointing at an emulator. */
export function environmentOf(emulator: EmulatorEndpoint): Record<string, string> {
  return {
    CDF_PROJECT: emulator.project,
    CDF_BASE_URL: emulator.baseUrl,
    CDF_CLIENT_ID: emulator.clientId,
    CDF_CLIENT_SECRET: emulator.clientSecret,
    CDF_TOKEN_URL: emulator.tokenUrl,
  };
}
