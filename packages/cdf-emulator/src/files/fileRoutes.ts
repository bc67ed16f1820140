// Files (`/files`): metadata plus bytes, as the function deploy flow needs them. Creating a file
// returns an `uploadUrl`; like CDF's pre-signed URLs it needs no bearer token (the secret is in
// the URL), so it is a raw route outside the project.

import { CdfError, type EmulatorContext, type RouteRegistry } from "../context.js";
import { pageOf } from "../pageOf.js";
import { parseRequestBody } from "../parseRequestBody.js";
import { queryBoolean } from "../requestBody.js";
import { inTimeRange } from "../timeRange.js";
import { byIdsBody, createFileBody, downloadLinkBody, listBody } from "./fileRequests.js";
import { FileStore, type StoredFile } from "./fileStore.js";

export function registerFileRoutes(registry: RouteRegistry, ctx: EmulatorContext): FileStore {
  const store = new FileStore(ctx.clock);
  registry.addStore("files", store);

  const uploadUrl = (f: StoredFile) =>
    `${ctx.baseUrl()}/_emulator/upload/${f.record.id}?token=${encodeURIComponent(f.uploadSecret)}`;
  const checkSecret = (fileId: string, token: string | null): StoredFile => {
    const f = store.stored(Number(fileId));
    if (!f || token !== f.uploadSecret) {
      throw new CdfError(
        403,
        `Upload/download URL for file ${fileId} is not valid (unknown file or wrong token); request a new URL`,
      );
    }
    return f;
  };

  registry.add({
    method: "POST",
    pattern: "/files",
    acl: [{ acl: "filesAcl", action: "WRITE" }],
    handler(req) {
      const input = parseRequestBody(createFileBody, req.body, "POST /files");
      const overwrite = queryBoolean(req.query.get("overwrite"), "overwrite") ?? false;
      const stored = store.create(input, overwrite);
      return { status: 201, body: { ...stored.record, uploadUrl: uploadUrl(stored) } };
    },
  });

  registry.addRaw({
    method: "PUT",
    pattern: "/_emulator/upload/:fileId",
    auth: false,
    handler(req) {
      const f = checkSecret(req.params.fileId ?? "", req.query.get("token"));
      store.upload(f, Buffer.from(req.rawBody));
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
      const f = Number.isInteger(id) ? store.stored(id) : undefined;
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
      return {
        body: { items: store.resolve(body.items, body.ignoreUnknownIds ?? false).map((f) => f.record) },
      };
    },
  });

  registry.add({
    method: "POST",
    pattern: "/files/list",
    acl: [{ acl: "filesAcl", action: "READ" }],
    handler(req) {
      const body = parseRequestBody(listBody, req.body, "POST /files/list");
      const filter = body.filter ?? {};
      const matching = store
        .all()
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
      const found = store.resolve(body.items, false);
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
      for (const f of store.resolve(body.items, body.ignoreUnknownIds ?? false)) store.delete(f.record.id);
      return { body: {} };
    },
  });

  return store;
}
