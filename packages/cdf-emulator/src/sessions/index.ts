// Sessions (`/sessions*`).
export { registerSessionRoutes } from "./sessionRoutes.js";
export { NONCE_LIFETIME_MS, type SessionRecord, SessionStore } from "./sessionStore.js";
