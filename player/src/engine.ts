// hls.js settings for the player: low-latency mode and the vsid on every playlist request.
//
// The same settings play plain HLS (MPEG-TS segments) and LL-HLS (fMP4 parts, blocking
// reloads with `_HLS_msn`/`_HLS_part`, preload hints): hls.js picks the mode from the playlist.
import type { HlsConfig } from "hls.js";
import { isPlaylistUrl, withVsid } from "./vsid";

/** hls.js `lowLatencyMode`: follow EXT-X-PART, blocking reloads and preload hints. */
export const LOW_LATENCY = true;

/**
 * The hls.js config for one engine instance (a fresh object: a new object means a new engine).
 * `dvr`: the engine plays the DVR window (a plain EVENT playlist, watched behind live on
 * purpose): no low-latency mode and no catching up with the live edge.
 */
export function engineConfig(vsid: string, dvr = false): Partial<HlsConfig> {
  return {
    lowLatencyMode: dvr ? false : LOW_LATENCY,
    // Catch up (up to 1.2x) when playback falls behind the target latency, e.g. after a stall.
    maxLiveSyncPlaybackRate: dvr ? 1 : 1.2,
    backBufferLength: 30,
    // Start at the live edge rather than wherever the last load stopped (the player seeks
    // back in the DVR window once the window is known).
    startPosition: -1,
    xhrSetup: (xhr: XMLHttpRequest, url: string): void => {
      if (isPlaylistUrl(url)) {
        // Opening here makes hls.js send to this URL; LL-HLS reload URLs already carry
        // `_HLS_msn`/`_HLS_part`, and withVsid keeps them (vsid is added with `&`).
        xhr.open("GET", withVsid(url, vsid), true);
      }
    },
  };
}
