// What `window.senderPlayer` exposes to pages, benches and tests.
import type { HlsVideoElement } from "@videojs/html/media/hls-video";
import type Hls from "hls.js";
import type { PlaybackState } from "./api";

export type PlayerState = PlaybackState | "unknown" | "not_found";
/** `live`: the low-latency live playlist; `dvr`: the DVR window's playlist, behind live. */
export type PlayerMode = "live" | "dvr";

export interface SenderPlayerHandle {
  readonly vsid: string;
  readonly state: PlayerState;
  readonly generation: number | null;
  /** hls.js `config.lowLatencyMode` of the running engine (the configured value before one runs). */
  readonly lowLatency: boolean;
  /** hls.js `latency`: seconds behind the live edge (0 until known). */
  readonly latency: number;
  /** The running hls.js instance, if any. */
  readonly hls: Hls | null;
  readonly media: HlsVideoElement;
  readonly video: HTMLVideoElement;
  /** The last player error (`null` once playback runs again). */
  readonly error: string | null;
  readonly mode: PlayerMode;
  /** Goes `seconds` back: from the live edge in live mode, from the position in DVR mode.
   * `false` when the endpoint has no DVR window or is not live. */
  rewind(seconds: number): boolean;
  /** Back to the low-latency live playlist at the live edge. */
  goLive(): void;
  /** Plays `seconds` behind the live edge in the DVR window (0: live). */
  seekBehind(seconds: number): void;
  /** The DVR window's length and the position behind its end (`null`: no DVR window). */
  dvrWindow(): { length: number; behind: number } | null;
}

declare global {
  interface Window {
    senderPlayer?: SenderPlayerHandle;
  }
}
