// Until src/functions imports "../sessions/index.js": the sessions resource lives in sessions/.
export type { SessionStore } from "./sessions/index.js";
