/** How a session spaces its reconnect attempts. All times in milliseconds. */
export interface BackoffOptions {
  /** The delay before the first attempt after a drop. Default 100. */
  initialDelay?: number;
  /** The longest delay. Default 5000. */
  maxDelay?: number;
  /** Each failed attempt multiplies the delay by this. Default 2. */
  multiplier?: number;
  /** The share of each delay taken off at random (0: none, 1: anything down to 0). Default 0.5. */
  jitter?: number;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelay: 100,
  maxDelay: 5000,
  multiplier: 2,
  jitter: 0.5,
};

/**
 * The delay before reconnect attempt `attempt` (0 for the first after a drop): exponential up to
 * the maximum, then `jitter` of it taken off at random, so that many clients dropped at once
 * (a server restart) do not all come back at the same moment.
 *
 * @param random a number in [0, 1)
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, random: number): number {
  const exponential = options.initialDelay * Math.pow(options.multiplier, attempt);
  const capped = Math.min(options.maxDelay, exponential);
  return capped * (1 - options.jitter * random);
}

/** Options with the defaults filled in, checked. */
export function backoffOptions(options: BackoffOptions | undefined): Required<BackoffOptions> {
  const merged = { ...DEFAULT_BACKOFF, ...definedOnly(options ?? {}) };
  if (!(merged.initialDelay >= 0) || !(merged.maxDelay >= merged.initialDelay)) {
    throw new RangeError("backoff: need 0 <= initialDelay <= maxDelay");
  }
  if (!(merged.multiplier >= 1)) {
    throw new RangeError("backoff: multiplier must be at least 1");
  }
  if (!(merged.jitter >= 0 && merged.jitter <= 1)) {
    throw new RangeError("backoff: jitter must be in 0..1");
  }
  return merged;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
