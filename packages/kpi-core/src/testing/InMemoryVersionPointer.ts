import type { PointerReading, VersionPointer } from "../ports.js";

/**
 * The active-version pointer in memory; `flip` hands writing to another version (or the same one
 * again). Every flip is a new generation, as every change of the Raw row is.
 */
export class InMemoryVersionPointer implements VersionPointer {
  #writes = 0;
  constructor(private current: string) {}
  async active(): Promise<PointerReading> {
    return { version: this.current, generation: String(this.#writes) };
  }
  flip(to: string): void {
    this.current = to;
    this.#writes += 1;
  }
}
