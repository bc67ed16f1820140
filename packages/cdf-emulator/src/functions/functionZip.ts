import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { unzipSync } from "fflate";

export class FunctionZipError extends Error {}

/**
 * Extract a function's zip into `dir`, as CDF's build step does. Throws FunctionZipError when the
 * bytes are not a zip or an entry would land outside `dir` (a "zip slip" path like `../x`).
 */
export async function extractFunctionZip(zip: Uint8Array, dir: string): Promise<string[]> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (e) {
    throw new FunctionZipError(`The function file is not a valid zip archive (${(e as Error).message})`);
  }
  const names: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(entries)) {
    const relative = normalize(name);
    if (relative.startsWith("..") || relative.startsWith("/")) {
      throw new FunctionZipError(`The function zip has an entry outside its root: '${name}'`);
    }
    if (name.endsWith("/")) {
      await mkdir(join(dir, relative), { recursive: true });
      continue;
    }
    await mkdir(dirname(join(dir, relative)), { recursive: true });
    await writeFile(join(dir, relative), bytes);
    names.push(name);
  }
  return names;
}
