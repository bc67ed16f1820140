// The emulator's virtual clock: time stands still unless a test or the control API moves it,
// so schedules, token expiry, nonce lifetime and "N-ago" are deterministic. Moving forward
// steps through every participant's wake-up time in order (e.g. each cron tick), so a test
// that advances a day sees every tick of that day fire at its own virtual time.

export interface ClockParticipant {
  /** The next time (> now) this participant must run at, if any. */
  nextWakeup(now: number): number | undefined;
  /** Called when the clock reaches a wake-up time (and after every move). */
  onTime(now: number): Promise<void> | void;
}

export class VirtualClock {
  #now: number;
  readonly #participants: ClockParticipant[] = [];
  /**
   * Whether participants should wait for the work a wake-up starts (e.g. scheduled function
   * calls) before the clock moves on. `set`/`advance` with `{ wait: false }` clear it for that move.
   */
  waitForWork = true;

  constructor(start: number = Date.UTC(2024, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  register(participant: ClockParticipant): void {
    this.#participants.push(participant);
  }

  /** Move to `target`, stopping at every wake-up time on the way (moving backwards just jumps). */
  async set(target: number, options: { wait?: boolean } = {}): Promise<void> {
    if (!Number.isFinite(target)) throw new RangeError(`clock: ${target} is not a time in ms`);
    const previous = this.waitForWork;
    this.waitForWork = options.wait ?? true;
    try {
      await this.#moveTo(target);
    } finally {
      this.waitForWork = previous;
    }
  }

  async #moveTo(target: number): Promise<void> {
    if (target <= this.#now) {
      this.#now = target;
      for (const p of this.#participants) await p.onTime(this.#now);
      return;
    }
    while (this.#now < target) {
      let next = target;
      for (const p of this.#participants) {
        const w = p.nextWakeup(this.#now);
        if (w !== undefined && w > this.#now && w < next) next = w;
      }
      this.#now = next;
      for (const p of this.#participants) await p.onTime(this.#now);
    }
  }

  async advance(ms: number, options: { wait?: boolean } = {}): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`clock: cannot advance by ${ms} ms (must be >= 0)`);
    await this.set(this.#now + ms, options);
  }
}
