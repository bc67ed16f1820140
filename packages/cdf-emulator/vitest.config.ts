import { packageProject } from "../../vitest.shared.js";

// Function calls run real python3 processes: on a loaded 2-core machine a test that runs a few
// of them can take longer than vitest's 5 s default without anything being wrong.
export default packageProject("cdf-emulator", { testTimeout: 30_000, hookTimeout: 30_000 });
