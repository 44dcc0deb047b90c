// Unit tests of the DVR rewind arithmetic, the DVR engine config and the playback fields.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePlayback } from "../src/api";
import { rewindTarget, WINDOW_START_MARGIN } from "../src/dvr";
import { engineConfig } from "../src/engine";

const WINDOW = { start: 0, end: 95 };

test("a rewind from live lands that far before the window's end", () => {
  assert.equal(rewindTarget(WINDOW, 60, null), 35);
});

test("a rewind in DVR mode goes back from the current position", () => {
  assert.equal(rewindTarget(WINDOW, 10, 35), 25);
});

test("a rewind past the window's start stops just inside it", () => {
  assert.equal(rewindTarget(WINDOW, 600, null), WINDOW_START_MARGIN);
  assert.equal(rewindTarget({ start: 0, end: 1 }, 60, null), 1);
});

test("the DVR engine runs without low-latency mode or catch-up", () => {
  const dvr = engineConfig("AbCdEfGhIjKlMnOpQrStUv", true);
  assert.equal(dvr.lowLatencyMode, false);
  assert.equal(dvr.maxLiveSyncPlaybackRate, 1);
  assert.equal(engineConfig("AbCdEfGhIjKlMnOpQrStUv").lowLatencyMode, true);
});

const BODY = {
  endpoint: "demo",
  state: "live",
  generation: 1,
  live_url: "/sender/hls/demo/live.m3u8",
  renditions: [],
  hls: { segment_seconds: 1, window_segments: 6 },
};

test("playback metadata carries the DVR playlist when there is one", () => {
  const on = parsePlayback({
    ...BODY,
    dvr_url: "/sender/hls/demo/dvr.m3u8",
    dvr_window_seconds: 7200,
  });
  assert.equal(on?.dvr_url, "/sender/hls/demo/dvr.m3u8");
  assert.equal(on?.dvr_window_seconds, 7200);
  const off = parsePlayback({ ...BODY, dvr_url: null, dvr_window_seconds: null });
  assert.equal(off?.dvr_url, null);
  assert.equal(parsePlayback(BODY)?.dvr_url, null); // an older server without the fields
});
