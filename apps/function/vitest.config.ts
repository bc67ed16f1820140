import { packageProject } from "../../vitest.shared.js";

// Deploying and calling a zip on the emulator runs python3 and node per call.
export default packageProject("function", { testTimeout: 120_000, hookTimeout: 120_000 });
