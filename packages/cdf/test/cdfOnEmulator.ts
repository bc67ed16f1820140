import {
  createTestEmulator,
  type TestEmulator,
  type TestEmulatorOptions,
} from "@kpi-pipeline/cdf-emulator/testing";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { environmentOf } from "./environmentOf.js";

/**
 * One emulator for the suite and a connection to it built from the CDF_* variables a deployment
 * would set; every exchange is held to Cognite's OpenAPI document after each test.
 */
export function cdfOnEmulator(
  options: TestEmulatorOptions,
  started: (suite: { t: TestEmulator; cdf: CdfConnection }) => void,
): void {
  let t: TestEmulator | undefined;
  beforeAll(async () => {
    t = await createTestEmulator(options);
    started({ t, cdf: await connectCdf(cdfSettingsFromEnvironment(environmentOf(t.emulator))) });
  });
  afterEach(() => t?.assertContract());
  afterAll(() => t?.close());
}
