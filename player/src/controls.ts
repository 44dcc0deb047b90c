// The player's control bar (light DOM, under the video): play/pause, mute and volume, a seek
// bar over the DVR window, the quality menu of a ladder and fullscreen, plus the keyboard
// shortcuts (space/k, m, f, arrows). The LIVE badge keeps the latency readout.
import type Hls from "hls.js";

/** What the bar reads from and drives in the player. */
export interface ControlHost {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly hls: Hls | null;
  /** The DVR window's length in seconds (`null`: no DVR) and the position behind its end. */
  dvrWindow(): { length: number; behind: number } | null;
  /** Plays `seconds` behind the live edge (0: live, the low-latency playlist). */
  seekBehind(seconds: number): void;
}

/** Seconds an arrow key moves in the DVR window; volume step of the up/down arrows. */
export const SEEK_STEP = 10;
export const VOLUME_STEP = 0.1;
/** Closer to the end of the window than this is "live". */
const LIVE_MARGIN = 3;

export class ControlBar {
  readonly el: HTMLDivElement;
  readonly play = control("button", "sender-play");
  readonly mute = control("button", "sender-mute");
  readonly volume = control("input", "sender-volume");
  readonly seek = control("input", "sender-seek");
  readonly quality = control("select", "sender-quality");
  readonly fullscreen = control("button", "sender-fullscreen");
  private levelsKey = "";
  /** The viewer's quality choice (-1: automatic), kept for every engine the player starts. */
  private chosenLevel = -1;
  private seeking = false;

  private readonly keyHandler = (e: KeyboardEvent): void => this.onKey(e);

  /** `globalKeys`: the shortcuts act anywhere on the page (the player page), not only while
   * focus is inside the player (an embedded `<sender-player>`). */
  constructor(
    private readonly host: ControlHost,
    private readonly globalKeys = true,
  ) {
    this.el = document.createElement("div");
    this.el.className = "sender-controls";
    this.el.setAttribute("role", "toolbar");
    this.el.setAttribute("aria-label", "Player controls");
    // the bar's clicks are its own: the media area beneath toggles playback on a click too
    this.el.addEventListener("click", (ev) => ev.stopPropagation());
    const v = host.video;
    this.play.addEventListener("click", () => this.togglePlay());
    this.mute.addEventListener("click", () => this.toggleMute());
    slider(this.volume, 0, 1, 0.05, "Volume");
    this.volume.addEventListener("input", () => this.setVolume(Number(this.volume.value)));
    slider(this.seek, -60, 0, 1, "Position in the DVR window (seconds behind live)");
    this.seek.addEventListener("input", () => {
      this.seeking = true;
    });
    this.seek.addEventListener("change", () => {
      this.seeking = false;
      this.seekTo(-Number(this.seek.value));
    });
    this.quality.setAttribute("aria-label", "Quality");
    this.quality.addEventListener("change", () => this.setLevel(Number(this.quality.value)));
    this.fullscreen.addEventListener("click", () => this.toggleFullscreen());
    this.el.append(this.play, this.mute, this.volume, this.seek, this.quality, this.fullscreen);
    v.addEventListener("play", () => {
      this.userPaused = false; // playing again, whichever control started it
      v.autoplay = true;
    });
    for (const event of ["play", "pause", "volumechange"]) {
      v.addEventListener(event, () => this.update());
    }
    document.addEventListener("fullscreenchange", () => this.update());
    document.addEventListener("keydown", this.keyHandler);
    this.update();
  }

  close(): void {
    document.removeEventListener("keydown", this.keyHandler);
  }

  /** The viewer paused: a reload (new engine, recovery) must not start playing again. */
  userPaused = false;

  togglePlay(): void {
    const v = this.host.video;
    this.userPaused = !v.paused;
    v.autoplay = !this.userPaused; // autoplay would resume a re-attached source
    if (v.paused) {
      v.play().catch(() => undefined);
    } else {
      v.pause();
    }
  }

  toggleMute(): void {
    const v = this.host.video;
    v.muted = !v.muted;
    if (!v.muted && v.volume === 0) {
      v.volume = 0.5;
    }
  }

  setVolume(volume: number): void {
    const v = this.host.video;
    v.volume = Math.min(1, Math.max(0, volume));
    v.muted = v.volume === 0;
  }

  toggleFullscreen(): void {
    if (document.fullscreenElement !== null) {
      void document.exitFullscreen();
    } else {
      this.host.root.requestFullscreen().catch(() => undefined);
    }
  }

  /** hls.js level `index` (-1: automatic). */
  setLevel(index: number): void {
    this.chosenLevel = index;
    const hls = this.host.hls;
    if (hls !== null) {
      hls.currentLevel = index;
    }
  }

  seekTo(behind: number): void {
    this.host.seekBehind(behind < LIVE_MARGIN ? 0 : behind);
  }

  /** Follows the media element, the DVR window and the engine's levels. */
  update(): void {
    const v = this.host.video;
    setLabel(this.play, v.paused ? "Play" : "Pause", v.paused ? "▶" : "❚❚");
    const silent = v.muted || v.volume === 0;
    setLabel(this.mute, silent ? "Unmute" : "Mute", silent ? "🔇" : "🔊");
    this.volume.value = String(silent ? 0 : v.volume);
    const full = document.fullscreenElement !== null;
    setLabel(this.fullscreen, full ? "Exit fullscreen" : "Fullscreen", full ? "⤡" : "⤢");
    const dvr = this.host.dvrWindow();
    this.seek.hidden = dvr === null;
    if (dvr !== null && !this.seeking) {
      this.seek.min = String(-Math.round(dvr.length));
      this.seek.value = String(-Math.round(dvr.behind));
    }
    this.updateLevels();
  }

  private updateLevels(): void {
    const hls = this.host.hls;
    const levels = hls?.levels ?? [];
    this.quality.hidden = levels.length < 2;
    const key = levels.map((l) => `${l.height}:${l.bitrate}`).join(",");
    if (hls !== null && hls.autoLevelEnabled && 0 <= this.chosenLevel && this.chosenLevel < levels.length) {
      // a reload or a new engine (recovery, Go live) starts on automatic: the choice holds
      hls.currentLevel = this.chosenLevel;
    }
    if (key !== this.levelsKey) {
      this.levelsKey = key;
      this.quality.replaceChildren(option("-1", "Auto"));
      levels.forEach((l, i) => {
        const kbps = Math.round(l.bitrate / 1000);
        this.quality.append(option(String(i), l.height ? `${l.height}p` : `${kbps} kb/s`));
      });
    }
    if (hls !== null && document.activeElement !== this.quality) {
      this.quality.value = hls.autoLevelEnabled ? "-1" : String(hls.currentLevel);
    }
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    const tag = target?.tagName ?? "";
    if (e.ctrlKey || e.metaKey || e.altKey || ["INPUT", "SELECT", "TEXTAREA"].includes(tag)) {
      return;
    }
    if (!this.globalKeys && !(target !== null && this.host.root.contains(target))) {
      return;
    }
    const dvr = this.host.dvrWindow();
    const v = this.host.video;
    const actions: Record<string, () => void> = {
      " ": () => this.togglePlay(),
      k: () => this.togglePlay(),
      m: () => this.toggleMute(),
      f: () => this.toggleFullscreen(),
      ArrowUp: () => this.setVolume((v.muted ? 0 : v.volume) + VOLUME_STEP),
      ArrowDown: () => this.setVolume((v.muted ? 0 : v.volume) - VOLUME_STEP),
    };
    if (dvr !== null) {
      actions["ArrowLeft"] = () => this.seekTo(Math.min(dvr.length, dvr.behind + SEEK_STEP));
      actions["ArrowRight"] = () => this.seekTo(Math.max(0, dvr.behind - SEEK_STEP));
    }
    const action = actions[e.key];
    if (action === undefined || (e.key === " " && tag === "BUTTON")) {
      return; // a focused button takes space itself
    }
    e.preventDefault();
    action();
  }
}

function control<K extends "button" | "input" | "select">(
  tag: K,
  className: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  if (el instanceof HTMLButtonElement) {
    el.type = "button";
  }
  return el;
}

function slider(el: HTMLInputElement, min: number, max: number, step: number, label: string): void {
  el.type = "range";
  el.min = String(min);
  el.max = String(max);
  el.step = String(step);
  el.title = label;
  el.setAttribute("aria-label", label);
}

function setLabel(b: HTMLButtonElement, label: string, glyph: string): void {
  b.textContent = glyph;
  b.title = label;
  b.setAttribute("aria-label", label);
}

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}
