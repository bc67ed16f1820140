// Files (`/files`): metadata plus bytes, as the function deploy flow needs them. Creating a file
// returns an `uploadUrl`; like CDF's pre-signed URLs it needs no bearer token (the secret is in
// the URL), so it is a raw route outside the project. Bytes are kept in memory.

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { CdfError, type EmulatorContext, type EmulatorStore, type RouteRegistry } from "./context.js";
import { pageOf } from "./pageOf.js";
import { parseRequestBody } from "./parseRequestBody.js";
import { resolveByIds } from "./resolveByIds.js";
import { readStateFile, writeStateBytes, writeStateFile } from "./stateFile.js";
import { inTimeRange, timeRange } from "./timeRange.js";

/** Ids start high so that a file id passed where another resource's id belongs is not found. */
const FIRST_FILE_ID = 5_000_000_000_001;

const fileMetadataFields = {
  externalId: z.string().min(1).max(255).optional(),
  name: z.string().min(1).max(256),
  directory: z.string().max(512).optional(),
  source: z.string().max(128).optional(),
  mimeType: z.string().max(256).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  assetIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
  dataSetId: z.number().int().positive().optional(),
  sourceCreatedTime: z.number().int().min(0).optional(),
  sourceModifiedTime: z.number().int().min(0).optional(),
  securityCategories: z.array(z.number().int().positive()).max(100).optional(),
  labels: z.array(z.object({ externalId: z.string() })).optional(),
  geoLocation: z.record(z.string(), z.unknown()).optional(),
};
const createFileBody = z.strictObject(fileMetadataFields);
type FileMetadataInput = z.infer<typeof createFileBody>;

const fileRef = z.union([
  z.strictObject({ id: z.number().int().positive() }),
  z.strictObject({ externalId: z.string().min(1) }),
]);
type FileRef = z.infer<typeof fileRef>;
const byIdsBody = z.strictObject({
  items: z.array(fileRef).min(1).max(1000),
  ignoreUnknownIds: z.boolean().optional(),
});
const downloadLinkBody = z.strictObject({ items: z.array(fileRef).min(1).max(100) });
const listBody = z.strictObject({
  filter: z
    .strictObject({
      name: z.string().optional(),
      directoryPrefix: z.string().max(512).optional(),
      mimeType: z.string().optional(),
      metadata: z.record(z.string(), z.string()).optional(),
      source: z.string().optional(),
      externalIdPrefix: z.string().optional(),
      uploaded: z.boolean().optional(),
      createdTime: timeRange.optional(),
      lastUpdatedTime: timeRange.optional(),
      uploadedTime: timeRange.optional(),
    })
    .optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().optional(),
  partition: z.string().optional(),
});

export interface FileRecord extends FileMetadataInput {
  id: number;
  uploaded: boolean;
  uploadedTime?: number;
  createdTime: number;
  lastUpdatedTime: number;
}

export interface FileStore extends EmulatorStore {
  get(id: number): FileRecord | undefined;
  /** The uploaded bytes, or undefined while the file is not uploaded. */
  content(id: number): Buffer | undefined;
}

interface StoredFile {
  record: FileRecord;
  uploadSecret: string;
  content?: Buffer;
}

export function registerFileRoutes(registry: RouteRegistry, ctx: EmulatorContext): FileStore {
  let files = new Map<number, StoredFile>();
  let nextId = FIRST_FILE_ID;

  const findByExternalId = (externalId: string) =>
    [...files.values()].find((f) => f.record.externalId === externalId);
  const lookup = (ref: FileRef): StoredFile | undefined =>
    "id" in ref ? files.get(ref.id) : findByExternalId(ref.externalId);
  const resolveAll = (refs: FileRef[], ignoreUnknownIds: boolean): StoredFile[] =>
    resolveByIds(refs, lookup, { ignoreUnknownIds, notFound: "Files not found" });
  const uploadUrl = (f: StoredFile) =>
    `${ctx.baseUrl()}/_emulator/upload/${f.record.id}?token=${encodeURIComponent(f.uploadSecret)}`;
  const checkSecret = (fileId: string, token: string | null): StoredFile => {
    const f = files.get(Number(fileId));
    if (!f || token !== f.uploadSecret) {
      throw new CdfError(
        403,
        `Upload/download URL for file ${fileId} is not valid (unknown file or wrong token); request a new URL`,
      );
    }
    return f;
  };

  const store: FileStore = {
    get: (id) => files.get(id)?.record,
    content: (id) => files.get(id)?.content,
    reset() {
      files = new Map();
      nextId = FIRST_FILE_ID;
    },
    async save(dir) {
      const target = join(dir, "files");
      const index = [...files.values()].map((f) => ({ record: f.record, uploadSecret: f.uploadSecret }));
      for (const f of files.values()) {
        if (f.content) await writeStateBytes(target, `${f.record.id}.bin`, f.content);
      }
      // The index last: it lists only contents that are already whole on disk.
      await writeStateFile(target, "index.json", { nextId, files: index });
    },
    async load(dir) {
      const target = join(dir, "files");
      const saved = await readStateFile<{ nextId: number; files: Array<Omit<StoredFile, "content">> }>(
        target,
        "index.json",
      );
      if (!saved) return;
      store.reset();
      nextId = saved.nextId;
      for (const f of saved.files) {
        const stored: StoredFile = { ...f };
        if (f.record.uploaded) stored.content = await readFile(join(target, `${f.record.id}.bin`));
        files.set(f.record.id, stored);
      }
    },
  };
  registry.addStore("files", store);

  registry.add({
    method: "POST",
    pattern: "/files",
    acl: [{ acl: "filesAcl", action: "WRITE" }],
    handler(req) {
      const input = parseRequestBody(createFileBody, req.body, "POST /files");
      const overwrite = req.query.get("overwrite") === "true";
      const now = ctx.clock.now();
      const existing = input.externalId === undefined ? undefined : findByExternalId(input.externalId);
      if (existing && !overwrite) {
        throw new CdfError(
          409,
          `File with externalId '${input.externalId}' already exists; pass overwrite=true to replace it`,
          {
            duplicated: [{ externalId: input.externalId }],
          },
        );
      }
      // Overwrite keeps the id and replaces metadata and content: the file is not uploaded again
      // until the new bytes are PUT to the new upload URL.
      const stored: StoredFile = {
        record: {
          ...input,
          id: existing ? existing.record.id : nextId++,
          uploaded: false,
          createdTime: existing ? existing.record.createdTime : now,
          lastUpdatedTime: now,
        },
        uploadSecret: randomBytes(18).toString("base64url"),
      };
      files.set(stored.record.id, stored);
      return { status: 201, body: { ...stored.record, uploadUrl: uploadUrl(stored) } };
    },
  });

  registry.addRaw({
    method: "PUT",
    pattern: "/_emulator/upload/:fileId",
    auth: false,
    handler(req) {
      const f = checkSecret(req.params.fileId ?? "", req.query.get("token"));
      const now = ctx.clock.now();
      f.content = Buffer.from(req.rawBody);
      f.record.uploaded = true;
      f.record.uploadedTime = now;
      f.record.lastUpdatedTime = now;
      return { status: 200, raw: "" };
    },
  });

  registry.addRaw({
    method: "GET",
    pattern: "/_emulator/download/:fileId",
    auth: false,
    handler(req) {
      const f = checkSecret(req.params.fileId ?? "", req.query.get("token"));
      return {
        raw: f.content ?? Buffer.alloc(0),
        headers: { "content-type": f.record.mimeType ?? "application/octet-stream" },
      };
    },
  });

  registry.add({
    method: "GET",
    pattern: "/files/:id",
    acl: [{ acl: "filesAcl", action: "READ" }],
    handler(req) {
      const id = Number(req.params.id);
      const f = Number.isInteger(id) ? files.get(id) : undefined;
      if (!f) throw new CdfError(400, `File ${req.params.id} not found`, { missing: [{ id }] });
      return { body: f.record };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/files/byids",
    acl: [{ acl: "filesAcl", action: "READ" }],
    handler(req) {
      const body = parseRequestBody(byIdsBody, req.body, "POST /files/byids");
      return { body: { items: resolveAll(body.items, body.ignoreUnknownIds ?? false).map((f) => f.record) } };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/files/list",
    acl: [{ acl: "filesAcl", action: "READ" }],
    handler(req) {
      const body = parseRequestBody(listBody, req.body, "POST /files/list");
      const filter = body.filter ?? {};
      const matching = [...files.values()]
        .map((f) => f.record)
        .filter(
          (r) =>
            (filter.name === undefined || r.name === filter.name) &&
            (filter.directoryPrefix === undefined ||
              (r.directory ?? "").startsWith(filter.directoryPrefix)) &&
            (filter.mimeType === undefined || r.mimeType === filter.mimeType) &&
            (filter.source === undefined || r.source === filter.source) &&
            (filter.externalIdPrefix === undefined ||
              (r.externalId ?? "").startsWith(filter.externalIdPrefix)) &&
            (filter.uploaded === undefined || r.uploaded === filter.uploaded) &&
            Object.entries(filter.metadata ?? {}).every(([k, v]) => r.metadata?.[k] === v) &&
            inTimeRange(r.createdTime, filter.createdTime) &&
            inTimeRange(r.lastUpdatedTime, filter.lastUpdatedTime) &&
            inTimeRange(r.uploadedTime, filter.uploadedTime),
        );
      return { body: pageOf(matching, body.cursor, body.limit ?? 100) };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/files/downloadlink",
    acl: [{ acl: "filesAcl", action: "READ" }],
    handler(req) {
      const body = parseRequestBody(downloadLinkBody, req.body, "POST /files/downloadlink");
      const found = resolveAll(body.items, false);
      const notUploaded = found.filter((f) => !f.record.uploaded);
      if (notUploaded.length > 0) {
        throw new CdfError(
          400,
          `Files not uploaded yet (PUT the bytes to the uploadUrl first): ${notUploaded.map((f) => f.record.id).join(", ")}`,
        );
      }
      return {
        body: {
          items: body.items.map((ref, i) => {
            const f = found[i] as StoredFile;
            return {
              ...ref,
              downloadUrl: `${ctx.baseUrl()}/_emulator/download/${f.record.id}?token=${encodeURIComponent(f.uploadSecret)}`,
            };
          }),
        },
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/files/delete",
    acl: [{ acl: "filesAcl", action: "WRITE" }],
    handler(req) {
      const body = parseRequestBody(byIdsBody, req.body, "POST /files/delete");
      for (const f of resolveAll(body.items, body.ignoreUnknownIds ?? false)) files.delete(f.record.id);
      return { body: {} };
    },
  });

  return store;
}
