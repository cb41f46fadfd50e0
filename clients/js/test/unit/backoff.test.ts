import { describe, expect, it } from "vitest";

import { CloseCodes, DEFAULT_BACKOFF, backoffDelay, isRetryable } from "../../src/index.js";
import { backoffOptions } from "../../src/backoff.js";

describe("backoff", () => {
  it("doubles from the initial delay up to the maximum", () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, DEFAULT_BACKOFF, 0));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("takes up to the jitter share off at random", () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, 0.5)).toBe(75);
    expect(backoffDelay(0, DEFAULT_BACKOFF, 0.999)).toBeCloseTo(50.05);
    expect(backoffDelay(3, { ...DEFAULT_BACKOFF, jitter: 0 }, 0.9)).toBe(800);
  });

  it("checks its options", () => {
    expect(backoffOptions({ initialDelay: 10, maxDelay: undefined })).toEqual({ ...DEFAULT_BACKOFF, initialDelay: 10 });
    expect(() => backoffOptions({ initialDelay: 10, maxDelay: 5 })).toThrow(RangeError);
    expect(() => backoffOptions({ multiplier: 0.5 })).toThrow(RangeError);
    expect(() => backoffOptions({ jitter: 2 })).toThrow(RangeError);
  });
});

describe("which closes are retried", () => {
  it.each([1000, 1002, 1003, 1007, 1009, 4000, 4001, 4002, 4003, 4100, 4101])("%i is final", (code) => {
    expect(isRetryable(code)).toBe(false);
  });

  it.each([1001, 1006, 1011, 4004, 4102, 4103, 4104])("%i is retried", (code) => {
    expect(isRetryable(code)).toBe(true);
  });

  it("names the codes of the protocol and the server", () => {
    expect(CloseCodes.NEW_SESSION_CLOSING_OLD).toBe(4005);
    expect(CloseCodes.SESSION_FULL).toBe(4100);
    expect(CloseCodes.RATE_LIMITED).toBe(4104);
  });
});
