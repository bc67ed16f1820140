// The emulator as a separate process for the benchmark, so its CPU time can be read from
// /proc/<pid>/stat apart from the client's. Prints one JSON line: {baseUrl, project, token, pid}.

import { createDatapointStore, registerDatapointRoutes } from "../src/datapoints/index.js";
import { startEmulator } from "../src/emulator.js";
import { EmulatorServer } from "../src/server.js";

// Registers the datapoint module if emulator.ts does not (yet); inert once it does.
const listen = EmulatorServer.prototype.listen;
EmulatorServer.prototype.listen = function (this: EmulatorServer, ...args: Parameters<typeof listen>) {
  if (!this.stores().has("datapoints"))
    registerDatapointRoutes(this, this.ctx, createDatapointStore(this.ctx));
  return listen.apply(this, args);
};

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
