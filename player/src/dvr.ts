// Where a rewind lands in the DVR window (pure, so it is unit-tested without a browser).

/** Seconds kept clear of the window's start, so a seek never lands on a segment being trimmed. */
export const WINDOW_START_MARGIN = 2;

export interface SeekWindow {
  readonly start: number;
  readonly end: number;
}

/** The last range of `ranges` (a `<video>`'s `seekable`), or `null` when there is none. */
export function lastRange(ranges: TimeRanges): SeekWindow | null {
  const n = ranges.length;
  if (n === 0) {
    return null;
  }
  const start = ranges.start(n - 1);
  const end = ranges.end(n - 1);
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? { start, end } : null;
}

/**
 * The position for `seconds` behind `from` (`null`: the end of the window, i.e. behind live),
 * kept inside the window.
 */
export function rewindTarget(range: SeekWindow, seconds: number, from: number | null): number {
  const base = from ?? range.end;
  const floor = Math.min(range.start + WINDOW_START_MARGIN, range.end);
  return Math.min(range.end, Math.max(floor, base - Math.max(0, seconds)));
}
