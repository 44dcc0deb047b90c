// The Sender web player (player.ts mounts it): polls playback metadata, plays the live HLS
// playlist with Video.js 10 (`<video-player>`, the live skin and `<hls-video>`, i.e. hls.js
// in low-latency mode), tags every playlist request with the viewer-session id, shows a LIVE
// badge with the latency behind live and reports viewer events. With a DVR window it offers rewinding (the DVR playlist, watched
// behind live) and going back live (the low-latency playlist again). Its control bar
// (controls.ts) has play/pause, mute and volume, the DVR seek bar, quality and fullscreen.
import "@videojs/html/video/player";
import "@videojs/html/live-video/skin";
import "@videojs/html/media/hls-video";
import type { HlsVideoElement } from "@videojs/html/media/hls-video";
import type Hls from "hls.js";
import {
  apiUrl,
  type EventType,
  fetchPlayback,
  type Playback,
  sendEvent,
} from "./api";
import { ControlBar } from "./controls";
import { lastRange, rewindTarget } from "./dvr";
import { engineConfig, LOW_LATENCY } from "./engine";
import type { PlayerMode, PlayerState } from "./handle";
import { Recovery } from "./recovery";
import { DvrControls, LiveBadge, Overlay, renderPlayer } from "./ui";
import { loadVsid, withVsid } from "./vsid";
import { type Transport, TransportLabel, WhepSession, webrtcFirst } from "./whep";

const POLL_INTERVAL_MS = 3_000;
const HEARTBEAT_INTERVAL_MS = 10_000;
const BADGE_INTERVAL_MS = 500;
const OFFLINE_TEXT = "Offline — waiting for stream";

export class SenderPlayer {
  readonly vsid: string;
  state: PlayerState = "unknown";
  generation: number | null = null;
  error: string | null = null;
  mode: PlayerMode = "live";
  readonly media: HlsVideoElement;
  readonly video: HTMLVideoElement;
  private readonly overlay = new Overlay("Connecting…");
  private readonly badge = new LiveBadge();
  private readonly dvrControls = new DvrControls(
    (seconds) => this.rewind(seconds),
    () => this.goLive(),
  );
  /** A rewind waiting for the DVR window to be known: seconds behind its end. */
  private pendingRewind: number | null = null;
  /** The media element's source before the DVR engine attached (its seekable is not the DVR's). */
  private staleSrc = "";
  private loadedGeneration: number | null | undefined = undefined;
  private lastPlayback: Playback | null = null;
  private readonly recovery = new Recovery(() => this.reload());
  readonly controls: ControlBar;
  /** Which transport plays: WebRTC (WHEP) first where it works, LL-HLS otherwise. */
  transport: Transport | null = null;
  private readonly whep = new WhepSession(() => this.fallBack());
  private readonly transportLabel = new TransportLabel();
  private webrtcFailed = !webrtcFirst();

  private readonly timers: number[] = [];
  private stopped = false;

  constructor(
    readonly root: HTMLElement,
    private readonly endpoint: string,
    private readonly apiBase: string,
    globalKeys = true,
  ) {
    this.vsid = loadVsid();
    [this.media, this.video] = renderPlayer(root);
    this.controls = new ControlBar(this, globalKeys);
    root.append(
      this.badge.el,
      this.dvrControls.el,
      this.overlay.el,
      this.transportLabel.el,
      this.controls.el,
    );
    this.bindMediaEvents();
  }

  get hls(): Hls | null {
    return this.media.engine;
  }

  get lowLatency(): boolean {
    return this.hls?.config.lowLatencyMode ?? LOW_LATENCY;
  }

  get latency(): number {
    return this.hls?.latency ?? 0;
  }

  rewind(seconds: number): boolean {
    const playback = this.lastPlayback;
    if (this.state !== "live" || playback?.dvr_url == null || !(seconds > 0)) {
      return false;
    }
    if (this.mode === "dvr" && this.pendingRewind === null) {
      const range = lastRange(this.video.seekable);
      if (range !== null) {
        this.video.currentTime = rewindTarget(range, seconds, this.video.currentTime);
        return true;
      }
    }
    this.load(playback, "dvr");
    this.pendingRewind = seconds;
    return true;
  }

  /** The DVR window's length and the position behind its end (`null`: no DVR window). */
  dvrWindow(): { length: number; behind: number } | null {
    const length = this.lastPlayback?.dvr_window_seconds ?? null;
    if (this.state !== "live" || this.lastPlayback?.dvr_url == null || length === null) {
      return null;
    }
    const range = this.mode === "dvr" ? lastRange(this.video.seekable) : null;
    if (range === null) {
      return { length, behind: 0 };
    }
    return { length: range.end - range.start, behind: range.end - this.video.currentTime };
  }

  seekBehind(seconds: number): void {
    const range = this.mode === "dvr" ? lastRange(this.video.seekable) : null;
    if (seconds <= 0) {
      this.goLive();
    } else if (range !== null && this.pendingRewind === null) {
      this.video.currentTime = rewindTarget(range, seconds, null);
    } else {
      this.rewind(seconds);
    }
  }

  goLive(): void {
    if (this.state === "live" && this.lastPlayback !== null) {
      this.load(this.lastPlayback, "live");
    }
  }

  start(): void {
    void this.poll();
    this.timers.push(window.setInterval(() => this.report("heartbeat"), HEARTBEAT_INTERVAL_MS));
    this.timers.push(window.setInterval(() => this.updateBadge(), BADGE_INTERVAL_MS));
    window.addEventListener("pagehide", () => this.report("heartbeat", "pagehide", true));
    this.report("heartbeat", "open");
  }

  /** Stops playing, polling and reporting (a `<sender-player>` taken out of the page). */
  stop(): void {
    this.stopped = true;
    this.timers.splice(0).forEach((id) => window.clearInterval(id));
    this.controls.close();
    this.video.pause();
    this.media.removeAttribute("src");
  }

  private bindMediaEvents(): void {
    const v = this.video;
    v.addEventListener("play", () => this.report("play"));
    v.addEventListener("pause", () => this.report("pause"));
    v.addEventListener("loadedmetadata", () => this.seekPending());
    v.addEventListener("durationchange", () => this.seekPending());
    v.addEventListener("playing", () => {
      this.recovery.playing();
      this.error = null;
      this.updateBadge();
    });
    v.addEventListener("ended", () => {
      this.report("ended");
      // A live playlist that ended while the endpoint is still live: pick it up again.
      if (this.state === "live") {
        this.recovery.schedule();
      }
    });
    // Fatal hls.js errors and media element errors, both dispatched on <hls-video>.
    this.media.addEventListener("error", (event: Event) => {
      const err = event instanceof ErrorEvent ? event.message : "";
      const media = this.video.error;
      this.error = err || (media ? `code ${media.code}: ${media.message}` : "playback error");
      this.report("error", this.error);
      this.recovery.schedule();
    });
  }

  private async poll(): Promise<void> {
    try {
      const result = await fetchPlayback(this.apiBase, this.endpoint);
      if (result.kind === "ok") {
        this.apply(result.playback);
      } else if (result.kind === "not_found") {
        this.state = "not_found";
        this.showOffline(`Unknown stream “${this.endpoint}”`);
      } else if (this.state !== "live") {
        this.showOffline(OFFLINE_TEXT);
      }
    } finally {
      if (!this.stopped) {
        window.setTimeout(() => void this.poll(), POLL_INTERVAL_MS);
      }
    }
  }

  private apply(playback: Playback): void {
    const wasLive = this.state === "live";
    this.lastPlayback = playback;
    this.state = playback.state;
    this.generation = playback.generation;
    if (playback.state !== "live") {
      this.showOffline(OFFLINE_TEXT);
      return;
    }
    if (playback.dvr_url === null && this.mode === "dvr") {
      this.load(playback, "live"); // DVR was turned off: back to live
      return;
    }
    this.overlay.hide();
    const generationChanged =
      this.loadedGeneration !== undefined && this.loadedGeneration !== playback.generation;
    if (this.loadedGeneration === undefined || generationChanged || !wasLive) {
      this.load(playback);
    } else {
      this.checkStall(playback);
    }
  }

  /** Starts a fresh hls.js engine (a new config object = a new engine) on the live playlist,
   * or on the DVR playlist for `mode` "dvr"; anything else (new generation, errors, stalls)
   * starts again live. */
  private load(playback: Playback, mode: PlayerMode = "live"): void {
    this.recovery.loaded();
    const dvr = mode === "dvr" && playback.dvr_url !== null;
    this.mode = dvr ? "dvr" : "live";
    this.pendingRewind = null;
    this.staleSrc = this.video.currentSrc;
    this.loadedGeneration = playback.generation;
    if (!dvr && !this.webrtcFailed) {
      void this.playWebrtc(playback);
      return;
    }
    this.whep.stop();
    if (this.video.srcObject !== null) {
      this.video.srcObject = null; // assigning it (even null) restarts the element's loading
    }
    this.transport = "ll-hls";
    this.transportLabel.show(this.transport);
    const url = dvr && playback.dvr_url !== null ? playback.dvr_url : playback.live_url;
    this.media.src = withVsid(apiUrl(this.apiBase, url), this.vsid);
    this.media.config = engineConfig(this.vsid, dvr);
    if (!this.controls.userPaused) {
      this.video.play().catch(() => undefined); // autoplay (muted) also starts it when ready
    }
    this.updateBadge(); // the controls and the badge follow the mode at once
  }

  /** Live over WHEP; LL-HLS when the session cannot start or brings no frame. */
  private async playWebrtc(playback: Playback): Promise<void> {
    const url = apiUrl(this.apiBase, `/sender/whep/${this.endpoint}`);
    if (await this.whep.start(this.video, url)) {
      this.transport = "webrtc";
      this.transportLabel.show(this.transport);
      this.updateBadge();
    } else {
      this.webrtcFailed = true;
      this.load(playback);
    }
  }

  private fallBack(): void {
    this.webrtcFailed = true;
    if (this.lastPlayback !== null && this.mode === "live") {
      this.load(this.lastPlayback);
    }
  }

  /** Seeks a fresh DVR engine to the wanted rewind once the window is known. */
  private seekPending(): void {
    const seconds = this.pendingRewind;
    if (this.mode !== "dvr" || seconds === null) {
      return;
    }
    // Wait for the DVR engine's own media source (a new one per engine) and its metadata.
    const src = this.video.currentSrc;
    const attached = src !== "" && src !== this.staleSrc;
    const range = attached && this.video.readyState >= 1 ? lastRange(this.video.seekable) : null;
    if (range === null) {
      return;
    }
    this.pendingRewind = null;
    this.video.currentTime = rewindTarget(range, seconds, null);
  }

  /** A scheduled reload is due: the live source again, or once the endpoint is live. */
  private reload(): void {
    if (this.state === "live" && this.lastPlayback !== null) {
      this.load(this.lastPlayback);
    } else {
      this.loadedGeneration = undefined; // not live any more: load again when it is
    }
  }

  /** Reloads a live source whose playback has not advanced for a while. */
  private checkStall(playback: Playback): void {
    if (this.recovery.stalled(this.video)) {
      this.report("error", "stalled: playback did not advance");
      this.load(playback);
    }
  }

  private updateBadge(): void {
    this.seekPending();
    this.controls.update();
    const live = this.state === "live" && !this.overlay.visible;
    this.dvrControls.update(live && this.lastPlayback?.dvr_url != null, this.mode === "dvr");
    const playing = this.video.readyState >= 2 && this.video.currentTime > 0;
    if (!live || !playing) {
      this.badge.hide(this.mode);
    } else if (this.mode === "dvr") {
      const range = lastRange(this.video.seekable);
      this.badge.showDvr(range === null ? null : range.end - this.video.currentTime);
    } else {
      this.badge.show(this.latency);
    }
  }

  private position(): number | null {
    if (this.loadedGeneration === undefined || this.video.readyState === 0) {
      return null;
    }
    const t = this.video.currentTime;
    return Number.isFinite(t) ? t : null;
  }

  private report(type: EventType, detail: string | null = null, beacon = false): void {
    sendEvent(
      this.apiBase,
      {
        type,
        vsid: this.vsid,
        endpoint: this.endpoint,
        generation: this.generation,
        position: this.position(),
        detail,
      },
      beacon,
    );
  }

  private showOffline(text: string): void {
    this.overlay.show(text);
    this.badge.hide(this.mode);
  }
}
