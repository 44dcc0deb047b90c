// WebRTC playback over WHEP (RFC 9725): the player's first choice where the browser has
// RTCPeerConnection, LL-HLS otherwise or when WebRTC does not bring a frame in time.
//
// `?transport=hls` (or `webrtc`) on the player page forces one.

export type Transport = "webrtc" | "ll-hls";

const GATHER_MS = 1_000; // every host candidate goes in the offer (no trickle needed)
const FIRST_FRAME_MS = 5_000;

/** Whether to try WebRTC first on this page. */
export function webrtcFirst(): boolean {
  const forced = new URLSearchParams(window.location.search).get("transport");
  if (forced === "hls") {
    return false;
  }
  return typeof window.RTCPeerConnection === "function";
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  return new Promise((done) => {
    if (pc.iceGatheringState === "complete") {
      done();
      return;
    }
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") done();
    });
    window.setTimeout(done, GATHER_MS);
  });
}

function firstFrame(video: HTMLVideoElement): Promise<boolean> {
  return new Promise((done) => {
    const timer = window.setTimeout(() => done(false), FIRST_FRAME_MS);
    video.requestVideoFrameCallback(() => {
      window.clearTimeout(timer);
      done(true);
    });
  });
}

/** One WHEP session on a video element. */
export class WhepSession {
  private pc: RTCPeerConnection | null = null;
  private location: string | null = null;

  constructor(private readonly onFailed: () => void) {}

  get active(): boolean {
    return this.pc !== null;
  }

  /** Plays `url` (the WHEP endpoint) in `video`; false when it could not (the caller falls back). */
  async start(video: HTMLVideoElement, url: string): Promise<boolean> {
    this.stop();
    const pc = new RTCPeerConnection();
    this.pc = pc;
    try {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
      const stream = new MediaStream();
      pc.addEventListener("track", (e) => stream.addTrack(e.track));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/sdp" },
        body: pc.localDescription?.sdp ?? "",
      });
      if (res.status !== 201 || this.pc !== pc) {
        this.stop();
        return false;
      }
      this.location = new URL(res.headers.get("location") ?? "", res.url).toString();
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      pc.addEventListener("connectionstatechange", () => {
        if (this.pc === pc && pc.connectionState === "failed") {
          this.stop();
          this.onFailed();
        }
      });
      video.srcObject = stream;
      video.play().catch(() => undefined);
      if (!(await firstFrame(video)) || this.pc !== pc) {
        video.srcObject = null;
        this.stop();
        return false;
      }
      return true;
    } catch {
      this.stop();
      return false;
    }
  }

  /** Ends the session (DELETE, so the node frees it at once). */
  stop(): void {
    if (this.location !== null) {
      void fetch(this.location, { method: "DELETE", keepalive: true }).catch(() => undefined);
    }
    this.pc?.close();
    this.pc = null;
    this.location = null;
  }
}

/** A small label saying which transport plays. */
export class TransportLabel {
  readonly el: HTMLElement;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "sender-transport";
    this.el.style.cssText =
      "position:absolute;top:8px;right:8px;padding:2px 6px;font:12px sans-serif;" +
      "color:#fff;background:rgba(0,0,0,.55);border-radius:3px;pointer-events:none";
    this.el.hidden = true;
  }

  show(transport: Transport): void {
    this.el.textContent = transport === "webrtc" ? "WebRTC" : "LL-HLS";
    this.el.dataset["transport"] = transport;
    this.el.hidden = false;
  }
}
