import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { functionMain } from "./functionMain.js";

// The bundle's entry (dist/function.mjs, function.mjs in the zip). The process exits as soon as the result is
// out: after a deadline the run is still in flight, and it must not write after the result.

const write = (stream: NodeJS.WriteStream) => (text: string) => {
  stream.write(text);
};
// Python gone (the call killed): nothing can be reported, and the run must stop, not crash.
process.stdout.on("error", () => process.exit(1));
process.stderr.on("error", () => {});

const code = await functionMain({
  stdin: process.stdin,
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  env: process.env,
  dir: dirname(fileURLToPath(import.meta.url)),
});
// Exit once stdout is flushed: a pipe write is asynchronous.
process.stdout.write("", () => process.exit(code));
