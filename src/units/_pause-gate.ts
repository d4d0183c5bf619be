/**
 * The safe-point protocol shared by in-process workers and worker threads. The worker's code is
 * "busy" except while it waits at a safe point (`checkpoint()`, `sleep()`); a pause request is
 * granted as soon as nothing is busy, and holds every safe point until `release()`.
 */

const resolved: Promise<void> = Promise.resolve();

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Pause bookkeeping for one worker. */
export class PauseGate {
  #busy = 0;
  #paused: Deferred | undefined;
  #resume: Deferred | undefined;

  /** True while a pause is requested or held. */
  get requested(): boolean {
    return this.#resume !== undefined;
  }

  /** True when a pause is requested and nothing is busy. */
  get paused(): boolean {
    return this.#resume !== undefined && this.#busy === 0;
  }

  /** Marks the start of busy code (a run, a tick). */
  enter(): void {
    this.#busy++;
  }

  /** Marks the end of busy code; grants a pending pause when nothing else is busy. */
  leave(): void {
    // Clamped: a worker that calls checkpoint() from two flows at once must not go negative.
    this.#busy = Math.max(0, this.#busy - 1);
    if (this.#busy === 0) this.#paused?.resolve();
  }

  /** Asks for a pause; resolves once nothing is busy. */
  request(): Promise<void> {
    if (this.#resume === undefined) {
      this.#resume = deferred();
      this.#paused = deferred();
    }
    const paused = this.#paused as Deferred;
    if (this.#busy === 0) paused.resolve();
    return paused.promise;
  }

  /** Ends the pause (or cancels a request): every held safe point continues. */
  release(): void {
    const resume = this.#resume;
    this.#resume = undefined;
    this.#paused?.resolve();
    this.#paused = undefined;
    resume?.resolve();
  }

  /** A safe point: returns at once unless a pause is requested, then waits for `release()`. */
  checkpoint(): Promise<void> {
    if (this.#resume === undefined) return resolved;
    return this.#hold();
  }

  /** Waits until no pause is held (for code that is already outside busy code). */
  whenReleased(): Promise<void> {
    return this.#resume === undefined ? resolved : this.#resume.promise;
  }

  async #hold(): Promise<void> {
    this.leave();
    try {
      while (this.#resume !== undefined) await this.#resume.promise;
    } finally {
      this.enter();
    }
  }
}
