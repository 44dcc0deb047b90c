// Unit tests of the vsid rules and the hls.js request hook (node:test, bundled by run-tests.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { engineConfig, LOW_LATENCY } from "../src/engine";
import { isPlaylistUrl, withVsid } from "../src/vsid";

const BASE = "http://127.0.0.1:8080/sender/player/demo";
const VSID = "AbCdEfGhIjKlMnOpQrStUv";
// The page's location, which the hook resolves request URLs against.
Object.assign(globalThis, { location: new URL(BASE) });

test("withVsid adds vsid as the only parameter", () => {
  const url = withVsid("/sender/hls/demo/live.m3u8", VSID, BASE);
  assert.equal(url, `http://127.0.0.1:8080/sender/hls/demo/live.m3u8?vsid=${VSID}`);
});

test("withVsid keeps LL-HLS blocking-reload parameters and appends with &", () => {
  const url = withVsid(
    "http://127.0.0.1:8080/sender/hls/demo/1/src/index.m3u8?_HLS_msn=42&_HLS_part=3",
    VSID,
    BASE,
  );
  assert.equal(
    url,
    `http://127.0.0.1:8080/sender/hls/demo/1/src/index.m3u8?_HLS_msn=42&_HLS_part=3&vsid=${VSID}`,
  );
});

test("withVsid replaces a stale vsid instead of repeating it", () => {
  const url = new URL(withVsid(`/sender/hls/demo/live.m3u8?vsid=old&_HLS_msn=1`, VSID, BASE));
  assert.deepEqual(url.searchParams.getAll("vsid"), [VSID]);
  assert.equal(url.searchParams.get("_HLS_msn"), "1");
});

test("isPlaylistUrl looks at the path only", () => {
  assert.equal(isPlaylistUrl("/sender/hls/demo/live.m3u8?_HLS_msn=1", BASE), true);
  assert.equal(isPlaylistUrl("/sender/hls/demo/1/src/part_00001.m4s?x=.m3u8", BASE), false);
  assert.equal(isPlaylistUrl("/sender/hls/demo/1/src/init.mp4", BASE), false);
});

class FakeXhr {
  opened: [string, string, boolean][] = [];
  open(method: string, url: string, async: boolean): void {
    this.opened.push([method, url, async]);
  }
}

test("the hls.js xhrSetup hook opens playlist requests with the vsid, and only those", () => {
  const config = engineConfig(VSID);
  assert.equal(config.lowLatencyMode, true);
  assert.equal(LOW_LATENCY, true);
  const setup = config.xhrSetup;
  assert.ok(setup);
  const reload = "http://127.0.0.1:8080/sender/hls/demo/1/src/index.m3u8?_HLS_msn=7&_HLS_part=0";
  const playlist = new FakeXhr();
  void setup(playlist as unknown as XMLHttpRequest, reload, {} as never);
  assert.deepEqual(playlist.opened, [["GET", `${reload}&vsid=${VSID}`, true]]);
  const part = new FakeXhr();
  void setup(part as unknown as XMLHttpRequest, "http://127.0.0.1:8080/p/part_1.m4s", {} as never);
  assert.deepEqual(part.opened, []);
});

test("every engine gets a fresh config object (a new object starts a new engine)", () => {
  assert.notEqual(engineConfig(VSID), engineConfig(VSID));
});
