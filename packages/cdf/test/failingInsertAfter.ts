import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { CdfConnection } from "../src/cdfConnection.js";

/**
 * The same connection, except that after `landed` datapoint inserts have been sent, the emulator
 * drops the connection of the next one: a real failure over real HTTP, at a chosen point (the
 * emulator's path faults cannot count requests before they start).
 */
export function failingInsertAfter(
  t: Pick<TestEmulator, "emulator">,
  cdf: CdfConnection,
  landed: number,
): CdfConnection {
  let inserts = 0;
  return new Proxy(cdf, {
    get(target, property) {
      if (property === "post") {
        return async (path: string, body: unknown) => {
          if (path === "/timeseries/data" && inserts++ === landed) {
            t.emulator.control.addFault({ path: "*/timeseries/data", method: "POST", drop: true, count: 1 });
          }
          return target.post(path, body);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
