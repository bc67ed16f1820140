import { packageProject } from "../../vitest.shared.js";

// Every test talks to a real emulator over HTTP, and retry tests wait out real backoff delays: on a
// loaded 2-core machine that can pass vitest's 5 s default without anything being wrong.
export default packageProject("cdf", { testTimeout: 30_000, hookTimeout: 30_000 });
