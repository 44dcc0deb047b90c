// When the player loads its source again: after an error or an ended live playlist (with a
// growing delay between tries), and when playback has not advanced for a while (a stall).

const RELOAD_MIN_DELAY_MS = 2_000;
const RELOAD_MAX_DELAY_MS = 15_000;
const STALL_TIMEOUT_MS = 20_000;

export class Recovery {
  private timer: number | undefined = undefined;
  private delayMs = RELOAD_MIN_DELAY_MS;
  private lastTime = -1;
  private lastAt = Date.now();

  /** `reload` runs when a scheduled reload is due. */
  constructor(private readonly reload: () => void) {}

  /** Playback runs: the next failure is retried after the shortest delay again. */
  playing(): void {
    this.delayMs = RELOAD_MIN_DELAY_MS;
  }

  /** A source was (re)loaded: no reload is due, and progress is measured from now. */
  loaded(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.lastTime = -1;
    this.lastAt = Date.now();
  }

  /** Reloads after the current delay (doubled for the next time), unless one is due already. */
  schedule(): void {
    if (this.timer !== undefined) {
      return;
    }
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, RELOAD_MAX_DELAY_MS);
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, delay);
  }

  /** Whether a playing `video` has not advanced for the stall timeout. */
  stalled(video: HTMLVideoElement): boolean {
    if (video.paused || this.timer !== undefined) {
      this.lastAt = Date.now();
      return false;
    }
    const now = video.currentTime;
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastAt = Date.now();
      return false;
    }
    return Date.now() - this.lastAt > STALL_TIMEOUT_MS;
  }
}
