import { readdirSync, readFileSync } from "node:fs";

// Peak memory of a function call's processes (python running handler.py, and the node it starts),
// sampled from /proc while the call runs: each process' VmHWM (its own peak RSS), kept for every
// process seen under the emulator, summed per command name at the end. A sum of peaks is at least
// the peak of the sum, so the number errs on the high side.

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function status(pid: number): { name: string; hwmKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const name = /^Name:\s+(.+)$/m.exec(text)?.[1] ?? "?";
    const hwm = Number(/^VmHWM:\s+(\d+) kB$/m.exec(text)?.[1] ?? 0);
    return { name, hwmKiB: hwm };
  } catch {
    return undefined;
  }
}

export class ProcessTreeMemory {
  readonly #root: number;
  readonly #peaks = new Map<number, { name: string; hwmKiB: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(root: number) {
    this.#root = root;
  }

  start(intervalMs = 10): void {
    this.#peaks.clear();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const stack = children(this.#root);
    while (stack.length > 0) {
      const pid = stack.pop()!;
      const s = status(pid);
      if (s !== undefined) {
        const seen = this.#peaks.get(pid);
        if (seen === undefined || s.hwmKiB > seen.hwmKiB) this.#peaks.set(pid, s);
      }
      stack.push(...children(pid));
    }
  }

  /** Stops sampling; the peak RSS (MiB) by process name, and their sum. */
  stop(): { byName: Record<string, number>; totalMiB: number } {
    clearInterval(this.#timer);
    this.sample();
    const byName: Record<string, number> = {};
    for (const { name, hwmKiB } of this.#peaks.values()) byName[name] = (byName[name] ?? 0) + hwmKiB / 1024;
    const totalMiB = Object.values(byName).reduce((a, b) => a + b, 0);
    return {
      byName: Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, Math.round(v)])),
      totalMiB: Math.round(totalMiB),
    };
  }
}

/** Whether /proc can tell us about child processes (Linux). */
export function canSampleProcesses(): boolean {
  try {
    readdirSync(`/proc/${process.pid}/task`);
    return true;
  } catch {
    return false;
  }
}
