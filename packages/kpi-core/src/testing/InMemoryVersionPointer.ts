import type { VersionPointer } from "../ports.js";

/** The active-version pointer in memory; `flip` hands writing to another version. */
export class InMemoryVersionPointer implements VersionPointer {
  constructor(private current: string) {}
  async active(): Promise<string> {
    return this.current;
  }
  flip(to: string): void {
    this.current = to;
  }
}
