// The player's DOM: the Video.js player (live skin, `<hls-video>`) and its own layer over the
// skin: the offline overlay, the LIVE badge and the DVR controls (rewind, go live).
import type { HlsVideoElement } from "@videojs/html/media/hls-video";

const CSS = `
#sender-player, sender-player { position: relative; }
sender-player { display: block; }
#sender-player video-player, #sender-player live-video-skin,
sender-player video-player, sender-player live-video-skin { display: block; width: 100%; height: 100%; }
.sender-overlay {
  position: absolute; inset: 0; z-index: 10;
  display: flex; align-items: center; justify-content: center;
  padding: 1em; text-align: center;
  background: rgba(10, 10, 12, 0.82); color: #e8e8ea;
  font: 600 clamp(14px, 2.4vw, 22px)/1.4 system-ui, sans-serif;
  pointer-events: none;
}
.sender-overlay[hidden], .sender-live[hidden] { display: none; }
.sender-live {
  position: absolute; top: 12px; left: 12px; z-index: 9;
  padding: 2px 8px; border-radius: 4px;
  background: rgba(10, 10, 12, 0.7); color: #fff;
  font: 700 13px/1.6 system-ui, sans-serif; letter-spacing: 0.04em;
  pointer-events: none;
}
.sender-live::before {
  content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px;
  border-radius: 50%; background: #e5323a; vertical-align: 1px;
}
.sender-live-latency { font-weight: 500; letter-spacing: 0; }
.sender-live[data-mode="dvr"]::before { background: #9a9aa2; }
.sender-dvr {
  position: absolute; top: 12px; right: 12px; z-index: 9;
  display: flex; gap: 6px;
}
.sender-dvr[hidden] { display: none; }
.sender-dvr button {
  padding: 3px 10px; border: 0; border-radius: 4px; cursor: pointer;
  background: rgba(10, 10, 12, 0.7); color: #fff;
  font: 600 13px/1.6 system-ui, sans-serif;
}
.sender-dvr button:hover, .sender-dvr button:focus-visible { background: rgba(60, 60, 70, 0.9); }
.sender-dvr button[hidden] { display: none; }
.sender-dvr .sender-golive { background: #e5323a; }
.sender-controls {
  display: flex; align-items: center; gap: 8px; padding: 6px 8px;
  background: #141418; color: #fff; font: 500 14px/1.4 system-ui, sans-serif;
}
.sender-controls button, .sender-controls select {
  min-width: 34px; padding: 3px 8px; border: 0; border-radius: 4px; cursor: pointer;
  background: #2a2a32; color: #fff; font: inherit;
}
.sender-controls button:focus-visible, .sender-controls select:focus-visible,
.sender-controls input:focus-visible { outline: 2px solid #7aa7ff; }
.sender-controls .sender-volume { width: 80px; }
.sender-controls .sender-seek { flex: 1; }
.sender-controls .sender-fullscreen { margin-left: auto; }
.sender-controls [hidden] { display: none; }
`;

const TEMPLATE = `
<video-player>
  <live-video-skin>
    <hls-video preload="auto">
      <video slot="media" muted autoplay playsinline></video>
    </hls-video>
  </live-video-skin>
</video-player>`;

/** Renders the Video.js player into `root` (styles injected once); its media elements. */
export function renderPlayer(root: HTMLElement): [HlsVideoElement, HTMLVideoElement] {
  injectStyles();
  root.innerHTML = TEMPLATE;
  const media = root.querySelector("hls-video");
  const video = root.querySelector("video");
  if (media === null || video === null) {
    throw new Error("sender player: the player template did not render");
  }
  video.muted = true;
  return [media, video];
}

let styled = false;

/** The player's own rules, once per document, as a constructed sheet (no inline `<style>`:
 * pages with a strict Content-Security-Policy, like the console, embed the player too). */
function injectStyles(): void {
  if (styled) {
    return;
  }
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** "Offline — waiting for stream" and other full-stage notices. */
export class Overlay {
  readonly el: HTMLDivElement;

  constructor(text: string) {
    this.el = document.createElement("div");
    this.el.className = "sender-overlay";
    this.el.setAttribute("role", "status");
    this.el.textContent = text;
  }

  show(text: string): void {
    this.el.textContent = text;
    this.el.hidden = false;
  }

  hide(): void {
    this.el.hidden = true;
  }

  get visible(): boolean {
    return !this.el.hidden;
  }
}

/** "LIVE · 3.2 s behind live": the badge shown while the stream plays. */
export class LiveBadge {
  readonly el: HTMLDivElement;
  private readonly label: HTMLSpanElement;
  private readonly latencyEl: HTMLSpanElement;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "sender-live";
    this.el.hidden = true;
    this.label = document.createElement("span");
    this.label.textContent = "LIVE";
    this.el.append(this.label);
    this.latencyEl = document.createElement("span");
    this.latencyEl.className = "sender-live-latency";
    this.el.append(this.latencyEl);
  }

  /** Shows the badge with `latency` seconds behind live (`null`: not known yet). */
  show(latency: number | null): void {
    this.el.hidden = false;
    this.el.dataset["mode"] = "live";
    this.label.textContent = "LIVE";
    if (latency === null || !Number.isFinite(latency) || latency <= 0) {
      this.latencyEl.textContent = "";
      this.el.removeAttribute("data-latency");
      this.el.title = "Live";
      return;
    }
    const text = latency.toFixed(1);
    this.latencyEl.textContent = ` · ${text} s behind live`;
    this.el.dataset["latency"] = text;
    this.el.title = `${text} seconds behind live`;
  }

  /** "DVR · 58 s behind live": playing the DVR window `behind` seconds before its end. */
  showDvr(behind: number | null): void {
    this.el.hidden = false;
    this.el.dataset["mode"] = "dvr";
    this.label.textContent = "DVR";
    this.el.removeAttribute("data-latency");
    const known = behind !== null && Number.isFinite(behind) && behind >= 0;
    this.latencyEl.textContent = known ? ` · ${behind.toFixed(0)} s behind live` : "";
    this.el.title = known ? `${behind.toFixed(0)} seconds behind live` : "DVR";
  }

  /** Hides the badge; its mode already follows the player's (`live` or `dvr`). */
  hide(mode: "live" | "dvr"): void {
    this.el.hidden = true;
    this.el.dataset["mode"] = mode;
  }
}

/** "−60 s", "−10 s" and "Go live": shown when the endpoint has a DVR window. */
export class DvrControls {
  readonly el: HTMLDivElement;
  private readonly goLiveButton: HTMLButtonElement;

  constructor(rewind: (seconds: number) => void, goLive: () => void) {
    this.el = document.createElement("div");
    this.el.className = "sender-dvr";
    this.el.hidden = true;
    this.el.setAttribute("role", "group");
    this.el.setAttribute("aria-label", "Rewind");
    for (const seconds of [60, 10]) {
      const b = button(`−${seconds} s`, `Rewind ${seconds} seconds`, () => rewind(seconds));
      b.className = "sender-rewind";
      b.dataset["seconds"] = String(seconds);
      this.el.append(b);
    }
    this.goLiveButton = button("Go live", "Back to the live edge", goLive);
    this.goLiveButton.className = "sender-golive";
    this.goLiveButton.hidden = true;
    this.el.append(this.goLiveButton);
  }

  /** `available`: the stream is live with a DVR window; `dvr`: playing behind live. */
  update(available: boolean, dvr: boolean): void {
    this.el.hidden = !available;
    this.goLiveButton.hidden = !dvr;
  }
}

function button(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = label;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}
