// The two HTTP APIs the player talks to: playback metadata and viewer events.

export type PlaybackState = "live" | "waiting_source" | "stopped" | "idle";

export interface Rendition {
  readonly [key: string]: unknown;
}

export interface Playback {
  readonly endpoint: string;
  readonly state: PlaybackState;
  readonly generation: number | null;
  readonly live_url: string;
  readonly renditions: readonly Rendition[];
  readonly hls: { readonly segment_seconds: number; readonly window_segments: number };
  /** The DVR window's playlist (`null`: DVR off, or not known where the metadata came from). */
  readonly dvr_url: string | null;
  readonly dvr_window_seconds: number | null;
}

export type EventType = "heartbeat" | "play" | "pause" | "ended" | "error";

export interface ViewerEvent {
  readonly type: EventType;
  readonly vsid: string;
  readonly endpoint: string;
  readonly generation: number | null;
  readonly position: number | null;
  readonly detail: string | null;
}

export type PlaybackResult =
  | { readonly kind: "ok"; readonly playback: Playback }
  | { readonly kind: "not_found"; readonly detail: string }
  | { readonly kind: "failed"; readonly detail: string };

const STATES: readonly PlaybackState[] = ["live", "waiting_source", "stopped", "idle"];

/** Joins the configured API base ("" = same origin) and an absolute path. */
export function apiUrl(apiBase: string, path: string): string {
  if (/^https?:\/\//i.test(path)) {
    return path;
  }
  return apiBase.replace(/\/+$/, "") + path;
}

export async function fetchPlayback(apiBase: string, endpoint: string): Promise<PlaybackResult> {
  const url = apiUrl(apiBase, `/api/v1/playback/${encodeURIComponent(endpoint)}`);
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
  } catch (err) {
    return { kind: "failed", detail: `network error: ${String(err)}` };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 404) {
    return { kind: "not_found", detail: detailOf(body) ?? "unknown endpoint" };
  }
  if (!response.ok) {
    return { kind: "failed", detail: detailOf(body) ?? `HTTP ${response.status}` };
  }
  const playback = parsePlayback(body);
  if (playback === null) {
    return { kind: "failed", detail: "malformed playback metadata" };
  }
  return { kind: "ok", playback };
}

function detailOf(body: unknown): string | null {
  if (isRecord(body) && typeof body["detail"] === "string") {
    return body["detail"];
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parsePlayback(body: unknown): Playback | null {
  if (!isRecord(body)) {
    return null;
  }
  const { endpoint, state, generation, live_url: liveUrl, renditions, hls } = body;
  const { dvr_url: dvrUrl, dvr_window_seconds: dvrWindow } = body;
  if (typeof endpoint !== "string" || typeof liveUrl !== "string") {
    return null;
  }
  if (typeof state !== "string" || !(STATES as readonly string[]).includes(state)) {
    return null;
  }
  if (generation !== null && typeof generation !== "number") {
    return null;
  }
  const hlsInfo = isRecord(hls) ? hls : {};
  const segmentSeconds = hlsInfo["segment_seconds"];
  const windowSegments = hlsInfo["window_segments"];
  return {
    endpoint,
    state: state as PlaybackState,
    generation,
    live_url: liveUrl,
    renditions: Array.isArray(renditions) ? renditions.filter(isRecord) : [],
    hls: {
      segment_seconds: typeof segmentSeconds === "number" ? segmentSeconds : 2,
      window_segments: typeof windowSegments === "number" ? windowSegments : 6,
    },
    dvr_url: typeof dvrUrl === "string" && dvrUrl !== "" ? dvrUrl : null,
    dvr_window_seconds: typeof dvrWindow === "number" && dvrWindow > 0 ? dvrWindow : null,
  };
}

/** POSTs one event; never throws. `beacon` uses navigator.sendBeacon (page unloading). */
export function sendEvent(apiBase: string, event: ViewerEvent, beacon = false): void {
  const url = apiUrl(apiBase, "/sender/api/v1/events");
  const body = JSON.stringify(event);
  if (beacon && typeof navigator.sendBeacon === "function") {
    try {
      if (navigator.sendBeacon(url, new Blob([body], { type: "application/json" }))) {
        return;
      }
    } catch {
      // Fall back to fetch below.
    }
  }
  try {
    fetch(url, {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body,
    }).catch(() => undefined);
  } catch {
    // Events are best effort.
  }
}
