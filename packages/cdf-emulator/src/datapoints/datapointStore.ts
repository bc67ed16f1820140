// Every time series' datapoints, by internal id. Persists as raw typed-array files (one set per
// series) so a 50M-point state saves and loads at disk speed instead of through JSON.
//
// A save writes the column files of a new generation into their own directory (`g<N>/`, each file
// by temp file + rename) and `manifest.json` last, then removes older generations. A save cut short
// therefore leaves the previous manifest and its generation whole; what load cannot trust (column
// files without a manifest, a file of the wrong size) fails with an error naming the file.

import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { EmulatorStore } from "../context.js";
import { readStateFile, writeStateBytes, writeStateFile } from "../stateFile.js";
import { allocColumns, type Columns } from "./columns.js";
import { SeriesPoints } from "./seriesPoints.js";

interface SeriesManifest {
  id: number;
  isString: boolean;
  count: number;
  hasStatus: boolean;
  hasNoValue: boolean;
}

interface Manifest {
  /** 1: column files beside the manifest; 2: in the generation's directory `g<generation>/`. */
  version: number;
  generation?: number;
  series: SeriesManifest[];
}

const FORMAT_VERSION = 2;
const MANIFEST = "manifest.json";

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
    const previous = await readStateFile<Manifest>(root, MANIFEST).catch(() => undefined);
    const generation = (previous?.generation ?? 0) + 1;
    const gen = join(root, generationDir(generation));
    await rm(gen, { recursive: true, force: true }); // leftovers of a save that was cut short
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
      await writeStateBytes(gen, `${id}.ts.f64`, bytes(all.ts));
      if (all.num) await writeStateBytes(gen, `${id}.num.f64`, bytes(all.num));
      if (all.str) await writeStateBytes(gen, `${id}.str.json`, JSON.stringify(all.str));
      if (all.status) await writeStateBytes(gen, `${id}.status.u32`, bytes(all.status));
      if (all.noValue) await writeStateBytes(gen, `${id}.novalue.u8`, bytes(all.noValue));
    }
    const saved: Manifest = { version: FORMAT_VERSION, generation, series: manifest };
    await writeStateFile(root, MANIFEST, saved);
    for (const name of await readdir(root)) {
      if (name !== MANIFEST && name !== generationDir(generation)) {
        await rm(join(root, name), { recursive: true, force: true });
      }
    }
  }

  async load(dir: string): Promise<void> {
    const root = join(dir, "datapoints");
    this.#series.clear();
    const manifest = await readStateFile<Manifest>(root, MANIFEST);
    if (!manifest) {
      const left = await readdir(root).catch(() => []);
      if (left.length > 0) {
        throw new Error(
          `${root} holds datapoint files (${left.slice(0, 3).join(", ")}${left.length > 3 ? ", ..." : ""}) but no ${MANIFEST}: a save was cut short before it finished. ${RECOVER(root)}`,
        );
      }
      return; // nothing saved: absent files mean empty
    }
    const { version, series } = manifest;
    if (version !== 1 && version !== FORMAT_VERSION) {
      throw new Error(
        `${join(root, MANIFEST)}: datapoint format version ${version}, expected ${FORMAT_VERSION}; delete ${root} to start empty`,
      );
    }
    const columns = version === 1 ? root : join(root, generationDir(manifest.generation ?? 0));
    const present = new Set(await readdir(columns).catch(() => []));
    for (const m of series) {
      /** The file's path, once it is there with the size the manifest implies. */
      const need = async (name: string, bytesPerPoint?: number) => {
        const file = join(columns, name);
        if (!present.has(name)) {
          throw new Error(`${file} is missing (listed in ${join(root, MANIFEST)}). ${RECOVER(root)}`);
        }
        const size = (await stat(file)).size;
        if (bytesPerPoint !== undefined && size !== m.count * bytesPerPoint) {
          throw new Error(
            `${file} has ${size} bytes, but ${join(root, MANIFEST)} lists ${m.count} points (${m.count * bytesPerPoint} bytes): the file is half-written or was changed. ${RECOVER(root)}`,
          );
        }
        return file;
      };
      const c = allocColumns(m.isString, 0, false, false);
      c.ts = new Float64Array(await readTyped(await need(`${m.id}.ts.f64`, 8)));
      if (m.isString) {
        const file = await need(`${m.id}.str.json`);
        const str = JSON.parse(await readFile(file, "utf8")) as (string | null)[];
        if (str.length !== m.count) {
          throw new Error(
            `${file} has ${str.length} values, but ${join(root, MANIFEST)} lists ${m.count} points. ${RECOVER(root)}`,
          );
        }
        c.str = str;
      } else c.num = new Float64Array(await readTyped(await need(`${m.id}.num.f64`, 8)));
      if (m.hasStatus) c.status = new Uint32Array(await readTyped(await need(`${m.id}.status.u32`, 4)));
      if (m.hasNoValue) c.noValue = new Uint8Array(await readTyped(await need(`${m.id}.novalue.u8`, 1)));
      c.length = m.count;
      const s = new SeriesPoints(m.isString);
      s.insert(c);
      this.#series.set(m.id, s);
    }
  }
}

function generationDir(generation: number): string {
  return `g${generation}`;
}

const RECOVER = (root: string) =>
  `Delete ${root} to start without datapoints (the rest of the data dir still loads), or restore it from a backup.`;

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
