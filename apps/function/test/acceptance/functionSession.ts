import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";

/** A fresh session nonce for the emulator's default client, as a deployer makes one for a schedule or a call. */
export async function functionSession(t: Pick<TestEmulator, "emulator" | "client">): Promise<string> {
  const response = await t.client.post<{ items: Array<{ nonce: string }> }>(
    `/api/v1/projects/${t.emulator.project}/sessions`,
    { data: { items: [{ clientId: t.emulator.clientId, clientSecret: t.emulator.clientSecret }] } },
  );
  return response.data.items[0]!.nonce;
}
