// One call for a test suite: an emulator on a free port with every /api/v1 exchange validated
// against Cognite's OpenAPI document, a real SDK client for it, and an assertion that fails the
// test on any contract violation.
//
//   const t = await createTestEmulator();
//   afterEach(() => t.assertContract());
//   afterAll(() => t.close());

import type { CogniteClient } from "@cognite/sdk";
import { type Emulator, type EmulatorOptions, startEmulator } from "../emulator.js";
import { type ContractValidatorOptions, createContractValidator } from "./contract.js";
import { type ContractRecorder, createContractRecorder } from "./contractRecorder.js";
import { createTestClient } from "./testClient.js";

export interface TestEmulator {
  emulator: Emulator;
  /** SDK client of the default (all-capabilities) client. */
  client: CogniteClient;
  contract: ContractRecorder;
  /** Throws listing every contract violation since the last call (use in afterEach). */
  assertContract(): void;
  close(): Promise<void>;
}

export type TestEmulatorOptions = Omit<EmulatorOptions, "contractHook"> & {
  contract?: ContractValidatorOptions;
};

export async function createTestEmulator(options: TestEmulatorOptions = {}): Promise<TestEmulator> {
  const { contract: contractOptions, ...emulatorOptions } = options;
  const contract = createContractRecorder(createContractValidator(contractOptions));
  const emulator = await startEmulator({ port: 0, ...emulatorOptions, contractHook: contract });
  return {
    emulator,
    client: createTestClient(emulator),
    contract,
    assertContract: () => contract.assertNoViolations(),
    close: () => emulator.close(),
  };
}
