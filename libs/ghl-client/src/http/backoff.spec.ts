import { fullJitterDelay } from './backoff';

describe('fullJitterDelay', () => {
  it('draws from zero up to the exponential step', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(3, 100, 10_000, () => 0)).toBe(0);
  });

  it('never exceeds the cap, however many retries came before', () => {
    expect(fullJitterDelay(40, 100, 8_000, () => 0.999)).toBeLessThan(8_000);
  });
});
