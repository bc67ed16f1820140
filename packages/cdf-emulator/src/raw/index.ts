// Raw: databases, tables and rows (`/raw/dbs*`).
export { RAW_LIMITS } from "./rawRequests.js";
export { registerRawRoutes } from "./rawRoutes.js";
export { type RawRow, RawStore } from "./rawStore.js";
