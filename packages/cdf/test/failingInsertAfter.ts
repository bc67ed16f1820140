import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { CdfConnection } from "../src/cdfConnection.js";

/**
 * The same connection, except that once `landed` datapoint inserts have been sent, the emulator
 * drops the connection of the next `count` inserts (default 1): a real failure over real HTTP at
 * a chosen point, as the emulator's path faults cannot skip a number of requests first.
 */
export function failingInsertAfter(
  t: Pick<TestEmulator, "emulator">,
  cdf: CdfConnection,
  landed: number,
  count = 1,
): CdfConnection {
  let inserts = 0;
  return new Proxy(cdf, {
    get(target, property) {
      if (property === "post") {
        return async (path: string, body: unknown) => {
          if (path === "/timeseries/data" && inserts++ === landed) {
            t.emulator.control.addFault({ path: "*/timeseries/data", method: "POST", drop: true, count });
          }
          return target.post(path, body);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
