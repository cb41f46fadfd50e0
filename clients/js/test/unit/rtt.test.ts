import { describe, expect, it } from "vitest";

import { RoundTripTime } from "../../src/index.js";

describe("RoundTripTime", () => {
  it("is undefined before a sample", () => {
    const rtt = new RoundTripTime();
    expect(rtt.smoothed).toBeUndefined();
    expect(rtt.samples).toBe(0);
  });

  it("smooths as RFC 6298 does (1/8 of each new sample, 1/4 for the variation)", () => {
    const rtt = new RoundTripTime();
    rtt.update(80);
    expect([rtt.smoothed, rtt.variation]).toEqual([80, 40]);
    rtt.update(16);
    expect(rtt.smoothed).toBe(72); // 7/8 * 80 + 1/8 * 16
    expect(rtt.variation).toBe(46); // 3/4 * 40 + 1/4 * |80 - 16|
    expect([rtt.latest, rtt.min, rtt.samples]).toEqual([16, 16, 2]);
  });
});
