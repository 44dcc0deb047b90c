// The player's own layer over the Video.js skin: the offline overlay and the LIVE badge.

const STYLE_ID = "sender-player-style";

const CSS = `
#sender-player { position: relative; }
#sender-player video-player, #sender-player live-video-skin { display: block; width: 100%; height: 100%; }
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
`;

export function injectStyles(): void {
  if (document.getElementById(STYLE_ID) !== null) {
    return;
  }
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
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
  private readonly latencyEl: HTMLSpanElement;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "sender-live";
    this.el.hidden = true;
    this.el.append("LIVE");
    this.latencyEl = document.createElement("span");
    this.latencyEl.className = "sender-live-latency";
    this.el.append(this.latencyEl);
  }

  /** Shows the badge with `latency` seconds behind live (`null`: not known yet). */
  show(latency: number | null): void {
    this.el.hidden = false;
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

  hide(): void {
    this.el.hidden = true;
  }
}
