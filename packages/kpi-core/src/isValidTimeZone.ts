import { IANAZone } from "luxon";

// luxon's IANAZone.isValidZone builds an Intl.DateTimeFormat on every call, a third of a
// millisecond or more: most of the time parsing 100 KPIs took. A config names a few zones.
const known = new Map<string, boolean>();

/** Whether `name` is an IANA time zone this runtime knows (remembered per name). */
export function isValidTimeZone(name: string): boolean {
  // The default zone: asking ICU would load its zone data (15 ms in a fresh process) for nothing.
  if (name === "UTC") return true;
  let valid = known.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    known.set(name, valid);
  }
  return valid;
}
