// GET /functions/limits. CPU and memory ranges are CDF's published numbers for the Google
// cluster (cognite-sdk FunctionsLimits docstring example); timeoutMinutes comes from the
// emulator settings because it differs per cloud (9 on Google, 10 on Azure/AWS; README.md, section "CDF facts").

export const FUNCTION_RUNTIMES = ["py310", "py311", "py312", "py313"] as const;
export type FunctionRuntime = (typeof FUNCTION_RUNTIMES)[number];

export const FUNCTION_LIMITS = {
  cpuCores: { min: 0.1, max: 0.6, default: 0.25 },
  memoryGb: { min: 0.1, max: 2.5, default: 1.0 },
  responseSizeMb: 1,
  /** Project-wide caps (100 functions and 1,000 schedules per project; README.md, section "CDF facts"). */
  functionsPerProject: 100,
  schedulesPerProject: 1000,
  /** At most 100 running calls per function, then 429 (README.md, section "CDF facts"). */
  runningCallsPerFunction: 100,
  metadataPairs: 16,
  metadataKeyLength: 32,
  metadataValueLength: 512,
  secrets: 30,
} as const;

/**
 * `limit` of the functions, schedules and calls lists: openapi.json's `LimitQuery` (GET) and
 * `LimitList` (POST .../list) give a default of 100 and a minimum of 1, and no maximum.
 */
export const LIST_LIMIT = { default: 100 } as const;
