import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import { functionsContractOptions, projectPath } from "./fixtures/functionKit.js";

let emulator: Emulator;
let client: CogniteClient;
const path = (p: string) => projectPath(emulator, p);

emulatorSuite({ project: "files-test", contract: functionsContractOptions }, (started) => {
  ({ emulator, client } = started);
});

describe("files", () => {
  it("a created file has an uploadUrl and is not uploaded until the bytes are PUT", async () => {
    const file = (await client.files.upload({
      name: "a.zip",
      externalId: "a",
      mimeType: "application/zip",
    })) as {
      id: number;
      uploadUrl: string;
      uploaded: boolean;
    };
    expect(file.uploaded).toBe(false);
    expect(file.uploadUrl.startsWith(`${emulator.baseUrl}/_emulator/upload/${file.id}?token=`)).toBe(true);
    const put = await fetch(file.uploadUrl, { method: "PUT", body: new Uint8Array([1, 2, 3]) });
    expect(put.status).toBe(200);
    const [stored] = await client.files.retrieve([{ id: file.id }]);
    expect(stored).toMatchObject({
      uploaded: true,
      name: "a.zip",
      externalId: "a",
      mimeType: "application/zip",
    });
  });

  it("uploads content through the SDK and serves the same bytes from the download link", async () => {
    const bytes = Buffer.from("zip bytes \u0000\u00ff");
    const file = await client.files.upload({ name: "b.bin", externalId: "b" }, bytes);
    const [link] = await client.files.getDownloadUrls([{ id: file.id }]);
    const download = await fetch((link as { downloadUrl: string }).downloadUrl);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
  });

  it("refuses an upload URL with the wrong token", async () => {
    const file = (await client.files.upload({ name: "c" })) as { id: number; uploadUrl: string };
    const put = await fetch(file.uploadUrl.replace(/token=.*/, "token=guess"), { method: "PUT", body: "x" });
    expect(put.status).toBe(403);
  });

  it("rejects an existing externalId with 409 unless overwrite=true, which keeps the id and needs a new upload", async () => {
    const first = await client.files.upload({ name: "d", externalId: "d" }, Buffer.from("v1"));
    const error = await failure(client.files.upload({ name: "d", externalId: "d" }));
    expect(error.status).toBe(409);
    expect(error.duplicated).toEqual([{ externalId: "d" }]);
    const second = (await client.files.upload({ name: "d2", externalId: "d" }, undefined, true)) as {
      id: number;
      uploaded: boolean;
    };
    expect(second.id).toBe(first.id);
    expect(second.uploaded).toBe(false);
  });

  it("retrieves by id and byids, naming missing ids", async () => {
    const file = await client.files.upload({ name: "e", externalId: "e" });
    const one = await client.get<{ id: number }>(path(`/files/${file.id}`));
    expect(one.data.id).toBe(file.id);
    const error = await failure(client.files.retrieve([{ id: file.id }, { externalId: "nope" }]));
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ externalId: "nope" }]);
    expect(await client.files.retrieve([{ externalId: "nope" }], { ignoreUnknownIds: true })).toEqual([]);
  });

  it("lists with filters and pages with cursors", async () => {
    for (let i = 0; i < 5; i++) await client.files.upload({ name: `f${i}`, externalId: `kpi-${i}` });
    await client.files.upload({ name: "other", externalId: "other" });
    const page = await client.files.list({ filter: { externalIdPrefix: "kpi-" }, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const all = await client.files
      .list({ filter: { externalIdPrefix: "kpi-" }, limit: 2 })
      .autoPagingToArray();
    expect(all.map((f) => f.externalId)).toEqual(["kpi-0", "kpi-1", "kpi-2", "kpi-3", "kpi-4"]);
    const uploaded = await client.files.list({ filter: { uploaded: true } }).autoPagingToArray();
    expect(uploaded).toEqual([]);
  });

  it("deletes files", async () => {
    const file = await client.files.upload({ name: "g", externalId: "g" });
    await client.files.delete([{ id: file.id }]);
    expect((await failure(client.files.retrieve([{ id: file.id }]))).status).toBe(400);
  });

  it("requires filesAcl WRITE to create a file", async () => {
    emulator.control.addClient({
      clientId: "reader",
      clientSecret: "reader-secret",
      capabilities: [{ filesAcl: { actions: ["READ"], scope: { all: {} } } }],
    });
    const reader = createTestClient(emulator, { clientId: "reader", clientSecret: "reader-secret" });
    expect((await failure(reader.files.upload({ name: "h" }))).status).toBe(403);
    expect(await reader.files.list().autoPagingToArray()).toEqual([]);
  });
});
