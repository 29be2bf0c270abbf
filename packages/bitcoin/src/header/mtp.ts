// Median time past (CBlockIndex::GetMedianTimePast): the median of the timestamps of a block and up to ten of
// its ancestors. A new header's time must be strictly greater than its parent's median time past.

export const MEDIAN_TIME_SPAN = 11;

/** Median of up to 11 timestamps (fewer near genesis), as Core: sort and take element ⌊n/2⌋. */
export function medianTimePast(times: readonly number[]): number {
  if (times.length === 0 || times.length > MEDIAN_TIME_SPAN)
    throw new RangeError(`median time past needs 1 to ${MEDIAN_TIME_SPAN} timestamps, got ${times.length}`);
  for (const t of times) if (!Number.isInteger(t) || t < 0) throw new RangeError(`invalid timestamp ${t}`);
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
