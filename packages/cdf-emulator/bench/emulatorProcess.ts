// The emulator as a separate process for the benchmark, so its CPU time can be read from
// /proc/<pid>/stat apart from the client's. Prints one JSON line: {baseUrl, project, token, pid}.

import { startEmulator } from "../src/emulator.js";

const emulator = await startEmulator({ port: 0, project: "bench", clock: "2030-01-01T00:00:00Z" });
process.stdout.write(
  `${JSON.stringify({ baseUrl: emulator.baseUrl, project: emulator.project, token: emulator.control.token(), pid: process.pid })}\n`,
);
const stop = async (): Promise<void> => {
  await emulator.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
