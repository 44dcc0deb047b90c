// One endpoint: live preview, status, keyframe interval, viewer history and recent events.

import type { Endpoint, EndpointWithKey, StreamEvent, StreamStatus, Viewers } from "./api";
import { viewerChart } from "./chart";
import { keyPanel, type Ctx } from "./context";
import { actions } from "./endpoints";
import { h, replace, stateLabel, uptime } from "./dom";

declare global {
  interface HTMLElementTagNameMap {
    "sender-player": HTMLElement;
  }
}

interface Playback {
  hls: { segment_seconds: number };
}

function fact(label: string, value: string | number, field: string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", { "data-field": field }, value)];
}

function keyframeFacts(status: StreamStatus, target: number | null): HTMLElement[] {
  const k = status.keyframe_interval_seconds;
  const out = fact("Keyframe interval", k == null ? "–" : `${k.toFixed(2)} s`, "keyframe");
  const tooLong = k != null && target != null && k > target * 1.05;
  if (tooLong || status.warnings.length) {
    const msg = status.warnings.join(" ") || `The keyframe interval (${k?.toFixed(2)} s) is longer than the ${target} s segment target: set the encoder's keyframe interval to ${target} s or less.`;
    out.push(h("dd", { class: "warning", role: "alert" }, msg));
  }
  return out;
}

export function endpointPage(ctx: Ctx, root: HTMLElement, slug: string): () => Promise<void> {
  const enc = encodeURIComponent(slug);
  const head = h("div", { class: "head" });
  const keyBox = h("div", { id: "key-box" });
  const facts = h("dl", { class: "facts" });
  const chart = h("div", { class: "chart-box" });
  const events = h("ol", { class: "events" });
  // the player as an element of this page (player.js defines it): `sender-player video`
  const preview = h("sender-player", { class: "preview", endpoint: slug, title: `Preview of ${slug}` });
  let target: number | null = null;
  const showKey = (k: EndpointWithKey): void => replace(keyBox, keyPanel(k, () => replace(keyBox)));
  replace(
    root,
    h("p", {}, h("a", { href: "#/" }, "← Endpoints")),
    head,
    keyBox,
    h("div", { class: "grid" },
      h("section", {}, h("h2", {}, "Preview"), preview, h("p", { class: "hint" }, "Muted low-latency preview; it counts as a viewer while open.")),
      h("section", {}, h("h2", {}, "Status"), facts)),
    h("section", {}, h("h2", {}, "Viewers"), chart),
    h("section", {}, h("h2", {}, "Recent events"), events),
  );
  const refresh = async (): Promise<void> => {
    const [endpoint, status, viewers, recent] = await Promise.all([
      ctx.api.get<Endpoint>(`/api/v1/endpoints/${enc}`),
      ctx.api.get<StreamStatus>(`/api/v1/streams/${enc}`),
      ctx.api.get<Viewers>(`/api/v1/streams/${enc}/viewers?since_seconds=3600`),
      ctx.api.get<StreamEvent[]>(`/api/v1/streams/${enc}/events?limit=20`),
    ]);
    if (target === null) {
      target = await ctx.api.get<Playback>(`/api/v1/playback/${enc}`).then((p) => p.hls.segment_seconds, () => null);
    }
    replace(head,
      h("h1", {}, endpoint.slug, " ", h("span", { class: "title" }, endpoint.title)),
      actions(ctx, slug, status, showKey, () => void refresh()));
    const kbps = status.ingest_bitrate_kbps;
    replace(facts,
      ...fact("State", stateLabel(status.state), "state"),
      ...fact("Generation", status.generation ?? "–", "generation"),
      ...fact("Uptime", uptime(status.publisher?.since), "uptime"),
      ...fact("Publisher", status.publisher?.peer ?? "–", "peer"),
      ...fact("Ingest bitrate", kbps != null ? `${Math.round(kbps)} kb/s` : "–", "bitrate"),
      ...fact("ffmpeg restarts", status.ffmpeg?.restarts ?? 0, "restarts"),
      ...keyframeFacts(status, target),
      ...fact("Viewers now", viewers.now, "viewers"),
      ...(endpoint.key_blocked ? fact("Key", "blocked until rotated", "key") : []));
    replace(chart,
      viewerChart(viewers.series, viewers.now),
      h("p", { class: "hint" }, viewers.source === "metrics" ? "From the metrics role (all nodes)." : `This node's own count${viewers.metrics_error ? ` (${viewers.metrics_error})` : ""}; no history.`));
    replace(events, ...(recent.length ? recent.map((e) =>
      h("li", { "data-kind": e.kind },
        h("time", { datetime: e.at }, new Date(e.at).toLocaleTimeString()), " ",
        h("strong", {}, e.kind.replace(/_/g, " ")),
        e.generation != null ? ` (generation ${e.generation})` : "",
        e.detail ? ` — ${e.detail}` : "")) : [h("li", {}, "Nothing yet.")]));
  };
  return refresh;
}
