import { readFileSync } from "node:fs";

/** The function's zip as `package` builds it, with the acceptance suite's kpis.yaml. */
export function functionZip(): Uint8Array {
  // Until apps/function packages a zip: a stand-in built outside the repository.
  return readFileSync(process.env.KPI_ACCEPTANCE_ZIP ?? "/tmp/acc/standin.zip");
}
