// Sender web player bootstrap.
//
// Reads the endpoint from <div id="sender-player" data-endpoint=".." data-api-base="">,
// polls playback metadata, plays the live HLS playlist with Video.js (VHS), tags every
// playlist request with the viewer-session id and reports viewer events.
import {
  apiUrl,
  type EventType,
  fetchPlayback,
  type Playback,
  type PlaybackState,
  sendEvent,
} from "./api";
import { isPlaylistUrl, loadVsid, withVsid } from "./vsid";
import { type VhsRequestOptions, videojs, type VjsPlayer } from "./vjs";

const POLL_INTERVAL_MS = 3_000;
const HEARTBEAT_INTERVAL_MS = 10_000;
const RELOAD_MIN_DELAY_MS = 2_000;
const RELOAD_MAX_DELAY_MS = 15_000;
const STALL_TIMEOUT_MS = 20_000;
const HLS_MIME = "application/x-mpegURL";
const OFFLINE_TEXT = "Offline — waiting for stream";

export type PlayerState = PlaybackState | "unknown" | "not_found";

export interface SenderPlayerHandle {
  readonly vsid: string;
  state: PlayerState;
  generation: number | null;
  player: VjsPlayer | null;
}

declare global {
  interface Window {
    senderPlayer?: SenderPlayerHandle;
  }
}

const OVERLAY_CSS = `
.sender-overlay {
  position: absolute; inset: 0; z-index: 10;
  display: flex; align-items: center; justify-content: center;
  padding: 1em; text-align: center;
  background: rgba(10, 10, 12, 0.82); color: #e8e8ea;
  font: 600 clamp(14px, 2.4vw, 22px)/1.4 system-ui, sans-serif;
  pointer-events: none;
}
.sender-overlay[hidden] { display: none; }
.sender-offline .vjs-big-play-button, .sender-offline .vjs-error-display,
.sender-offline .vjs-loading-spinner { display: none; }
`;

class SenderPlayer {
  readonly handle: SenderPlayerHandle;
  private readonly player: VjsPlayer;
  private readonly overlay: HTMLDivElement;
  private loadedGeneration: number | null | undefined = undefined;
  private lastPlayback: Playback | null = null;
  private reloadTimer: number | undefined = undefined;
  private reloadDelayMs = RELOAD_MIN_DELAY_MS;
  private lastProgressTime = -1;
  private lastProgressAt = Date.now();

  constructor(
    root: HTMLElement,
    private readonly endpoint: string,
    private readonly apiBase: string,
  ) {
    const vsid = loadVsid();
    this.handle = { vsid, state: "unknown", generation: null, player: null };
    installPlaylistHook(vsid);
    injectStyles();

    const video = document.createElement("video");
    video.className = "video-js vjs-big-play-centered";
    video.muted = true;
    video.playsInline = true;
    video.setAttribute("muted", "");
    video.setAttribute("playsinline", "");
    root.replaceChildren(video);

    this.player = videojs(video, {
      controls: true,
      autoplay: false,
      muted: true,
      preload: "auto",
      // The page's 16:9 stage sizes the player; it fills it.
      fill: true,
      liveui: true,
      playsinline: true,
      html5: {
        vhs: { overrideNative: true },
        nativeAudioTracks: false,
        nativeVideoTracks: false,
      },
    });
    this.handle.player = this.player;

    this.overlay = document.createElement("div");
    this.overlay.className = "sender-overlay";
    this.overlay.setAttribute("role", "status");
    this.overlay.textContent = "Connecting…";
    this.player.el().appendChild(this.overlay);
    this.player.el().classList.add("sender-offline");

    this.bindPlayerEvents();
  }

  start(): void {
    void this.poll();
    window.setInterval(() => this.report("heartbeat"), HEARTBEAT_INTERVAL_MS);
    window.addEventListener("pagehide", () => this.report("heartbeat", "pagehide", true));
    this.report("heartbeat", "open");
  }

  private bindPlayerEvents(): void {
    const p = this.player;
    p.on("play", () => this.report("play"));
    p.on("pause", () => this.report("pause"));
    p.on("playing", () => {
      this.reloadDelayMs = RELOAD_MIN_DELAY_MS;
    });
    p.on("ended", () => {
      this.report("ended");
      // A live playlist that ended while the endpoint is still live: pick it up again.
      if (this.handle.state === "live") {
        this.scheduleReload();
      }
    });
    p.on("error", () => {
      const err = p.error();
      const detail = err ? `code ${err.code}: ${err.message}` : "unknown player error";
      this.report("error", detail);
      this.scheduleReload();
    });
  }

  private async poll(): Promise<void> {
    try {
      const result = await fetchPlayback(this.apiBase, this.endpoint);
      if (result.kind === "ok") {
        this.apply(result.playback);
      } else if (result.kind === "not_found") {
        this.handle.state = "not_found";
        this.showOverlay(`Unknown stream “${this.endpoint}”`);
      } else if (this.handle.state !== "live") {
        this.showOverlay(OFFLINE_TEXT);
      }
    } finally {
      window.setTimeout(() => void this.poll(), POLL_INTERVAL_MS);
    }
  }

  private apply(playback: Playback): void {
    const wasLive = this.handle.state === "live";
    this.lastPlayback = playback;
    this.handle.state = playback.state;
    this.handle.generation = playback.generation;
    if (playback.state !== "live") {
      this.showOverlay(OFFLINE_TEXT);
      return;
    }
    this.hideOverlay();
    const generationChanged =
      this.loadedGeneration !== undefined && this.loadedGeneration !== playback.generation;
    if (this.loadedGeneration === undefined || generationChanged || !wasLive) {
      this.load(playback);
    } else {
      this.checkStall(playback);
    }
  }

  private load(playback: Playback): void {
    window.clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
    this.loadedGeneration = playback.generation;
    this.lastProgressTime = -1;
    this.lastProgressAt = Date.now();
    const src = withVsid(apiUrl(this.apiBase, playback.live_url), this.handle.vsid);
    this.player.error(null);
    this.player.src({ src, type: HLS_MIME });
    this.autoplay();
  }

  private autoplay(): void {
    const attempt = this.player.play();
    if (attempt === undefined) {
      return;
    }
    attempt.catch(() => {
      // Blocked by the autoplay policy: muted playback is always allowed.
      this.player.muted(true);
      this.player.play()?.catch(() => undefined);
    });
  }

  private scheduleReload(): void {
    if (this.reloadTimer !== undefined) {
      return;
    }
    const delay = this.reloadDelayMs;
    this.reloadDelayMs = Math.min(this.reloadDelayMs * 2, RELOAD_MAX_DELAY_MS);
    this.reloadTimer = window.setTimeout(() => {
      this.reloadTimer = undefined;
      if (this.handle.state === "live" && this.lastPlayback !== null) {
        this.load(this.lastPlayback);
      } else {
        // Not live any more: load again when it is.
        this.loadedGeneration = undefined;
      }
    }, delay);
  }

  /** Reloads a live source whose playback has not advanced for a while. */
  private checkStall(playback: Playback): void {
    if (this.player.paused() || this.reloadTimer !== undefined) {
      this.lastProgressAt = Date.now();
      return;
    }
    const now = this.player.currentTime();
    if (now !== this.lastProgressTime) {
      this.lastProgressTime = now;
      this.lastProgressAt = Date.now();
    } else if (Date.now() - this.lastProgressAt > STALL_TIMEOUT_MS) {
      this.report("error", "stalled: playback did not advance");
      this.load(playback);
    }
  }

  private position(): number | null {
    if (this.loadedGeneration === undefined || this.player.readyState() === 0) {
      return null;
    }
    const t = this.player.currentTime();
    return Number.isFinite(t) ? t : null;
  }

  private report(type: EventType, detail: string | null = null, beacon = false): void {
    sendEvent(
      this.apiBase,
      {
        type,
        vsid: this.handle.vsid,
        endpoint: this.endpoint,
        generation: this.handle.generation,
        position: this.position(),
        detail,
      },
      beacon,
    );
  }

  private showOverlay(text: string): void {
    this.overlay.textContent = text;
    this.overlay.hidden = false;
    this.player.el().classList.add("sender-offline");
  }

  private hideOverlay(): void {
    this.overlay.hidden = true;
    this.player.el().classList.remove("sender-offline");
  }
}

/** Adds the vsid to every playlist request VHS makes (master and media reloads). */
function installPlaylistHook(vsid: string): void {
  videojs.Vhs.xhr.onRequest((options: VhsRequestOptions): VhsRequestOptions => {
    if (!isPlaylistUrl(options.uri)) {
      return options;
    }
    return { ...options, uri: withVsid(options.uri, vsid) };
  });
}

function injectStyles(): void {
  if (document.getElementById("sender-player-style") !== null) {
    return;
  }
  const style = document.createElement("style");
  style.id = "sender-player-style";
  style.textContent = OVERLAY_CSS;
  document.head.appendChild(style);
}

function boot(): void {
  const root = document.getElementById("sender-player");
  const endpoint = root?.dataset["endpoint"];
  if (!root || !endpoint) {
    console.error("sender player: no #sender-player[data-endpoint] element");
    return;
  }
  const sender = new SenderPlayer(root, endpoint, root.dataset["apiBase"] ?? "");
  window.senderPlayer = sender.handle;
  sender.start();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", boot, { once: true });
} else {
  boot();
}
