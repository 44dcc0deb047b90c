// Injected into every viewer page by bench/latency.py (an init script, before the page's own).
// Reads the wall-clock band (bench/latency_clock.py) from the frame on screen and records
// Date.now() - decoded every 500 ms; samples every 50 ms until the first frame decodes.
(() => {
  const SYNC = 0b10110010;
  const COLS = 16;
  const ROWS = 4;
  const SAMPLE_MS = 500;
  const st = {
    samples: [],
    valid: 0,
    rejected: 0,
    waiting: 0,
    playing: false,
    firstFrameAt: null,
    lastSampleAt: 0,
  };
  window.__latency = st;

  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  function crc8(bytes) {
    let crc = 0;
    for (const b of bytes) {
      crc ^= b;
      for (let i = 0; i < 8; i++) {
        crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
      }
    }
    return crc;
  }

  // null: no picture yet; false: a picture that is not a valid clock frame; else the time.
  function decode(video) {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h || video.readyState < 2) return null;
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    ctx.drawImage(video, 0, 0, w, h);
    const block = w / COLS;
    const img = ctx.getImageData(0, 0, w, Math.min(h, Math.ceil(block * ROWS))).data;
    const bits = [];
    for (let i = 0; i < COLS * ROWS; i++) {
      const r = Math.floor(i / COLS);
      const c = i % COLS;
      let sum = 0;
      let n = 0;
      for (let y = Math.floor((r + 0.25) * block); y < Math.floor((r + 0.75) * block); y++) {
        for (let x = Math.floor((c + 0.25) * block); x < Math.floor((c + 0.75) * block); x++) {
          const o = (y * w + x) * 4;
          sum += img[o] + img[o + 1] + img[o + 2];
          n += 3;
        }
      }
      const mean = sum / n;
      if (mean > 64 && mean < 192) return false; // neither black nor white: a misread
      bits.push(mean >= 128 ? 1 : 0);
    }
    const byte = (k) => bits.slice(k * 8, k * 8 + 8).reduce((a, b) => a * 2 + b, 0);
    if (byte(0) !== SYNC) return false;
    const payload = [1, 2, 3, 4, 5, 6].map(byte);
    if (crc8(payload) !== byte(7)) return false;
    return payload.reduce((a, b) => a * 256 + b, 0);
  }

  function tick() {
    const video = document.querySelector("video");
    const now = Date.now();
    if (!video || (st.firstFrameAt !== null && now - st.lastSampleAt < SAMPLE_MS)) return;
    const value = decode(video);
    if (value === null) return;
    st.lastSampleAt = now;
    if (value === false) {
      st.rejected++;
      return;
    }
    st.valid++;
    if (st.firstFrameAt === null) st.firstFrameAt = now;
    st.samples.push(now - value);
  }

  // Media events do not bubble; a capturing listener on the document still sees them.
  document.addEventListener("playing", () => (st.playing = true), true);
  document.addEventListener("waiting", () => st.playing && st.waiting++, true);
  setInterval(tick, 50);
})();
