// Public API of the CDF emulator.
export { ALL_CAPABILITIES, type Capability, type ClientDefinition } from "./auth.js";
export { type ClockParticipant, VirtualClock } from "./clock.js";
export type {
  AclRequirement,
  DatapointChange,
  EmulatorContext,
  EmulatorSettings,
  Principal,
  TimeSeriesInfo,
} from "./context.js";
export { CdfError } from "./context.js";
export type { EmulatorControl, EmulatorStats, FunctionFaultSpec, SubscriptionFaultSpec } from "./control.js";
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SETTINGS,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from "./emulator.js";
export type { PathFault, PathFaultSpec } from "./pathFaults.js";
export type { TimeSeries, TimeSeriesCreate } from "./timeseries/index.js";
