// Until src/functions imports "../files/index.js": the files resource lives in files/.
export type { FileStore } from "./files/index.js";
