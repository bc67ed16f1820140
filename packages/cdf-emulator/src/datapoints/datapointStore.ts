// Every time series' datapoints, by internal id. Persists as raw typed-array files (one set per
// series) so a 50M-point state saves and loads at disk speed instead of through JSON.

import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EmulatorStore } from "../context.js";
import { readStateFile } from "../stateFile.js";
import { allocColumns, type Columns } from "./columns.js";
import { SeriesPoints } from "./seriesPoints.js";

interface SeriesManifest {
  id: number;
  isString: boolean;
  count: number;
  hasStatus: boolean;
  hasNoValue: boolean;
}

const FORMAT_VERSION = 1;

export class DatapointStore implements EmulatorStore {
  readonly #series = new Map<number, SeriesPoints>();

  get(id: number): SeriesPoints | undefined {
    return this.#series.get(id);
  }

  /** The series' points, created empty on first write. */
  getOrCreate(id: number, isString: boolean): SeriesPoints {
    let s = this.#series.get(id);
    if (!s) {
      s = new SeriesPoints(isString);
      this.#series.set(id, s);
    }
    return s;
  }

  deleteSeries(id: number): void {
    this.#series.delete(id);
  }

  get totalPoints(): number {
    let n = 0;
    for (const s of this.#series.values()) n += s.count;
    return n;
  }

  reset(): void {
    this.#series.clear();
  }

  async save(dir: string): Promise<void> {
    const root = join(dir, "datapoints");
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const manifest: SeriesManifest[] = [];
    for (const [id, s] of this.#series) {
      if (s.count === 0) continue;
      const all = flatten(s);
      manifest.push({
        id,
        isString: s.isString,
        count: all.length,
        hasStatus: !!all.status,
        hasNoValue: !!all.noValue,
      });
      await writeFile(join(root, `${id}.ts.f64`), bytes(all.ts));
      if (all.num) await writeFile(join(root, `${id}.num.f64`), bytes(all.num));
      if (all.str) await writeFile(join(root, `${id}.str.json`), JSON.stringify(all.str));
      if (all.status) await writeFile(join(root, `${id}.status.u32`), bytes(all.status));
      if (all.noValue) await writeFile(join(root, `${id}.novalue.u8`), bytes(all.noValue));
    }
    await writeFile(
      join(root, "manifest.json"),
      JSON.stringify({ version: FORMAT_VERSION, series: manifest }),
    );
  }

  async load(dir: string): Promise<void> {
    const root = join(dir, "datapoints");
    this.#series.clear();
    const manifest = await readStateFile<{ version: number; series: SeriesManifest[] }>(
      root,
      "manifest.json",
    );
    if (!manifest) return; // nothing saved: absent files mean empty
    const { version, series } = manifest;
    if (version !== FORMAT_VERSION) {
      throw new Error(
        `${root}/manifest.json: datapoint format version ${version}, expected ${FORMAT_VERSION}; delete ${root} to start empty`,
      );
    }
    const present = new Set(await readdir(root));
    for (const m of series) {
      const need = (name: string) => {
        if (!present.has(name)) throw new Error(`${join(root, name)} is missing (listed in manifest.json)`);
        return join(root, name);
      };
      const c = allocColumns(m.isString, 0, false, false);
      c.ts = new Float64Array(await readTyped(need(`${m.id}.ts.f64`)));
      if (m.isString)
        c.str = JSON.parse(await readFile(need(`${m.id}.str.json`), "utf8")) as (string | null)[];
      else c.num = new Float64Array(await readTyped(need(`${m.id}.num.f64`)));
      if (m.hasStatus) c.status = new Uint32Array(await readTyped(need(`${m.id}.status.u32`)));
      if (m.hasNoValue) c.noValue = new Uint8Array(await readTyped(need(`${m.id}.novalue.u8`)));
      c.length = m.count;
      const s = new SeriesPoints(m.isString);
      s.insert(c);
      this.#series.set(m.id, s);
    }
  }
}

function flatten(s: SeriesPoints): Columns {
  const out = allocColumns(
    s.isString,
    s.count,
    s.chunks.some((c) => c.status),
    s.chunks.some((c) => c.noValue),
  );
  for (const c of s.chunks) {
    out.ts.set(c.ts.subarray(0, c.length), out.length);
    if (out.num) out.num.set(c.num!.subarray(0, c.length), out.length);
    if (out.str) for (let i = 0; i < c.length; i++) out.str[out.length + i] = c.str![i]!;
    if (out.status && c.status) out.status.set(c.status.subarray(0, c.length), out.length);
    if (out.noValue && c.noValue) out.noValue.set(c.noValue.subarray(0, c.length), out.length);
    out.length += c.length;
  }
  return out;
}

function bytes(a: Float64Array | Uint32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A file's bytes in a fresh, aligned ArrayBuffer (typed arrays need their element alignment). */
async function readTyped(file: string): Promise<ArrayBuffer> {
  const buf = await readFile(file);
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}
