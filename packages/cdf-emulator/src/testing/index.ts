// Test helpers for suites that run against the emulator: contract validation of every exchange
// against Cognite's OpenAPI document, and a ready-made emulator + SDK client.

export {
  type ContractValidator,
  type ContractValidatorOptions,
  createContractValidator,
  type KnownSpecDeviation,
  type OperationMatch,
  specRelativePath,
} from "./contract.js";
export {
  type ContractHook,
  type ContractRecorder,
  type ContractViolation,
  createContractRecorder,
  formatViolations,
} from "./contractRecorder.js";
export { findOpenApiSpec, loadOpenApiSpec, type OpenApiDocument } from "./openApiSpec.js";
export { createTestClient, type EmulatorEndpoint, fetchEmulatorToken } from "./testClient.js";
export { createTestEmulator, type TestEmulator, type TestEmulatorOptions } from "./testEmulator.js";
