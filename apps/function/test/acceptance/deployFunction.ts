import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";

export interface DeployedFunction {
  id: number;
  externalId: string;
}

interface FunctionItem {
  id: number;
  status: string;
  error?: { message: string; trace?: string };
}

/**
 * Deploys a zip as a deployer would, through the API only: upload the file, create the function,
 * and move the virtual clock until the deploy ends (the emulator deploys on the virtual clock).
 */
export async function deployFunction(
  t: Pick<TestEmulator, "emulator" | "client">,
  zip: Uint8Array,
  options: { externalId: string; envVars?: Record<string, string> },
): Promise<DeployedFunction> {
  const project = `/api/v1/projects/${t.emulator.project}`;
  const file = await t.client.files.upload(
    {
      name: `${options.externalId}.zip`,
      externalId: `${options.externalId}.zip`,
      mimeType: "application/zip",
    },
    // A Buffer: a bare Uint8Array did not reach the emulator as the zip's bytes.
    Buffer.from(zip),
    true,
    true,
  );
  const created = await t.client.post<{ items: FunctionItem[] }>(`${project}/functions`, {
    data: {
      items: [
        {
          name: options.externalId,
          externalId: options.externalId,
          fileId: file.id,
          ...(options.envVars === undefined ? {} : { envVars: options.envVars }),
        },
      ],
    },
  });
  const id = created.data.items[0]!.id;
  for (let step = 0; step < 100; step++) {
    const fn = await t.client.get<FunctionItem>(`${project}/functions/${id}`);
    if (fn.data.status === "Ready") return { id, externalId: options.externalId };
    if (fn.data.status === "Failed")
      throw new Error(
        `deploying ${options.externalId} failed: ${fn.data.error?.message}\n${fn.data.error?.trace ?? ""}`,
      );
    await t.emulator.control.advanceClock(5_000);
  }
  throw new Error(`deploying ${options.externalId} did not end in 500 s of virtual time`);
}
