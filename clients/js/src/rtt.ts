/**
 * A round-trip time estimate, smoothed as TCP smooths its own (RFC 6298: gain 1/8 for the mean,
 * 1/4 for the variation). All values in milliseconds; undefined until the first sample.
 */
export class RoundTripTime {
  /** The last sample. */
  latest: number | undefined;
  /** The smoothed round-trip time. */
  smoothed: number | undefined;
  /** The smoothed mean deviation. */
  variation: number | undefined;
  /** The smallest sample so far. */
  min: number | undefined;
  /** How many samples were taken. */
  samples = 0;

  /** Adds a sample (milliseconds; negative samples count as 0). */
  update(sampleMs: number): void {
    const sample = Math.max(0, sampleMs);
    this.latest = sample;
    this.samples++;
    this.min = this.min === undefined ? sample : Math.min(this.min, sample);
    if (this.smoothed === undefined || this.variation === undefined) {
      this.smoothed = sample;
      this.variation = sample / 2;
    } else {
      this.variation = 0.75 * this.variation + 0.25 * Math.abs(this.smoothed - sample);
      this.smoothed = 0.875 * this.smoothed + 0.125 * sample;
    }
  }
}
