/**
 * The steps that bring up a new service instance (create, start, health) and the one that ends
 * it (close), each under its own time limit, each failure turned into the error code that
 * names the step, with the user's error as `cause`.
 */
import { HotswapError, type HotswapErrorCode, oneLine } from '../errors.js';

/** The steps of bringing up a new instance, in order. */
export type ServiceStep = 'create' | 'start' | 'health';

const stepCodes: Record<ServiceStep | 'close', HotswapErrorCode> = {
  create: 'HS_ERR_SERVICE_CREATE',
  start: 'HS_ERR_SERVICE_START',
  health: 'HS_ERR_SERVICE_HEALTH',
  close: 'HS_ERR_SERVICE_CLOSE',
};

const stepWords: Record<ServiceStep | 'close', string> = {
  create: 'create',
  start: 'start',
  health: 'health check',
  close: 'close',
};

/** The error code of a step (`HS_ERR_SERVICE_CREATE` ...). */
export function stepCode(step: ServiceStep | 'close'): HotswapErrorCode {
  return stepCodes[step];
}

/** The error a failed step is reported with. */
export function stepError(
  service: string,
  step: ServiceStep | 'close',
  generation: number,
  cause: unknown,
  hint?: string,
): HotswapError {
  const error = new HotswapError(
    stepCodes[step],
    `${service}: ${stepWords[step]} of generation ${generation} failed: ${oneLine(cause)}`,
    { unit: service, cause, ...(hint === undefined ? {} : { hint }) },
  );
  // Its frames are the service machinery; where it went wrong is the cause's stack, which
  // reports then locate (the user's create, start or health check).
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** Why a step was stopped before it finished. */
export class StepTimeout extends Error {
  constructor(step: ServiceStep | 'close', ms: number) {
    super(`${stepWords[step]} did not finish within ${ms} ms`);
    this.name = 'StepTimeout';
  }
}

/**
 * Runs `fn` with a signal that aborts when `ms` pass or `parent` aborts, and rejects at that
 * moment even if `fn` never settles (a connect that hangs must not hold the reload forever).
 */
export async function runStep<R>(
  step: ServiceStep | 'close',
  ms: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParent: (() => void) | undefined;
  try {
    return await new Promise<Awaited<R>>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        controller.abort(reason);
        reject(reason);
      };
      if (parent?.aborted) {
        stop(parent.reason);
        return;
      }
      onParent = () => stop(parent?.reason);
      parent?.addEventListener('abort', onParent, { once: true });
      if (Number.isFinite(ms)) timer = setTimeout(() => stop(new StepTimeout(step, ms)), ms);
      Promise.resolve()
        .then(() => fn(controller.signal))
        .then(resolve as (v: unknown) => void, reject);
    });
  } finally {
    clearTimeout(timer);
    if (onParent) parent?.removeEventListener('abort', onParent);
  }
}
