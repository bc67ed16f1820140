// Files' state: metadata plus the uploaded bytes (in memory), with the secret of each file's
// upload and download URLs. Saved as one .bin per uploaded file and index.json last.

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CdfError, type EmulatorStore } from "../context.js";
import { resolveByIds } from "../resolveByIds.js";
import { readStateFile, writeStateBytes, writeStateFile } from "../stateFile.js";
import type { FileMetadataInput, FileRef } from "./fileRequests.js";

/** Ids start high so that a file id passed where another resource's id belongs is not found. */
const FIRST_FILE_ID = 5_000_000_000_001;

export interface FileRecord extends FileMetadataInput {
  id: number;
  uploaded: boolean;
  uploadedTime?: number;
  createdTime: number;
  lastUpdatedTime: number;
}

export interface StoredFile {
  record: FileRecord;
  uploadSecret: string;
  content?: Buffer;
}

export class FileStore implements EmulatorStore {
  #files = new Map<number, StoredFile>();
  #nextId = FIRST_FILE_ID;

  constructor(readonly clock: { now(): number }) {}

  get(id: number): FileRecord | undefined {
    return this.#files.get(id)?.record;
  }

  /** The uploaded bytes, or undefined while the file is not uploaded. */
  content(id: number): Buffer | undefined {
    return this.#files.get(id)?.content;
  }

  stored(id: number): StoredFile | undefined {
    return this.#files.get(id);
  }

  all(): StoredFile[] {
    return [...this.#files.values()];
  }

  byExternalId(externalId: string): StoredFile | undefined {
    return this.all().find((f) => f.record.externalId === externalId);
  }

  /** The file of each ref, or CDF's 400 with every unknown one in `missing`. */
  resolve(refs: FileRef[], ignoreUnknownIds: boolean): StoredFile[] {
    return resolveByIds(
      refs,
      (ref) => ("id" in ref ? this.#files.get(ref.id) : this.byExternalId(ref.externalId)),
      { ignoreUnknownIds, notFound: "Files not found" },
    );
  }

  /**
   * A new file, or with `overwrite` a replacement of the one with the same externalId: it keeps
   * its id and creation time, and is not uploaded again until new bytes are PUT.
   */
  create(input: FileMetadataInput, overwrite: boolean): StoredFile {
    const now = this.clock.now();
    const existing = input.externalId === undefined ? undefined : this.byExternalId(input.externalId);
    if (existing && !overwrite) {
      throw new CdfError(
        409,
        `File with externalId '${input.externalId}' already exists; pass overwrite=true to replace it`,
        { duplicated: [{ externalId: input.externalId }] },
      );
    }
    const stored: StoredFile = {
      record: {
        ...input,
        id: existing ? existing.record.id : this.#nextId++,
        uploaded: false,
        createdTime: existing ? existing.record.createdTime : now,
        lastUpdatedTime: now,
      },
      uploadSecret: randomBytes(18).toString("base64url"),
    };
    this.#files.set(stored.record.id, stored);
    return stored;
  }

  upload(file: StoredFile, bytes: Buffer): void {
    const now = this.clock.now();
    file.content = bytes;
    file.record.uploaded = true;
    file.record.uploadedTime = now;
    file.record.lastUpdatedTime = now;
  }

  delete(id: number): void {
    this.#files.delete(id);
  }

  reset(): void {
    this.#files = new Map();
    this.#nextId = FIRST_FILE_ID;
  }

  async save(dir: string): Promise<void> {
    const target = join(dir, "files");
    const index = this.all().map((f) => ({ record: f.record, uploadSecret: f.uploadSecret }));
    for (const f of this.#files.values()) {
      if (f.content) await writeStateBytes(target, `${f.record.id}.bin`, f.content);
    }
    // The index last: it lists only contents that are already whole on disk.
    await writeStateFile(target, "index.json", { nextId: this.#nextId, files: index });
  }

  async load(dir: string): Promise<void> {
    const target = join(dir, "files");
    const saved = await readStateFile<{ nextId: number; files: Array<Omit<StoredFile, "content">> }>(
      target,
      "index.json",
    );
    if (!saved) return;
    this.reset();
    this.#nextId = saved.nextId;
    for (const f of saved.files) {
      const stored: StoredFile = { ...f };
      if (f.record.uploaded) stored.content = await readFile(join(target, `${f.record.id}.bin`));
      this.#files.set(f.record.id, stored);
    }
  }
}
