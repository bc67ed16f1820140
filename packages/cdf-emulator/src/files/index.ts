// Files (`/files*` and the upload/download URLs).
export { registerFileRoutes } from "./fileRoutes.js";
export { type FileRecord, FileStore } from "./fileStore.js";
