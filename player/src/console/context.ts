// What every page gets: the API client, the node it talks to, and the message bar.

import { Api, ApiError, type EndpointWithKey, type NodeInfo } from "./api";
import { copyButton, h, replace } from "./dom";

export interface Ctx {
  api: Api;
  node: NodeInfo;
  flash(message: string, kind?: "error" | "ok"): void;
  signOut(message: string): void;
}

/** Thrown when the operator declines a confirmation. */
export class Cancelled extends Error {}

/** Ask before a destructive action. */
export function confirmOrCancel(question: string): void {
  if (!window.confirm(question)) throw new Cancelled("cancelled");
}

/** Run an API action; show its error (the API's message) in the message bar. */
export async function act(ctx: Ctx, what: string, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    ctx.flash(`${what}: done`, "ok");
    return true;
  } catch (err) {
    if (err instanceof Cancelled) return false;
    if (err instanceof ApiError && err.status === 401) {
      ctx.signOut(`Signed out: ${err.message}`);
    } else {
      ctx.flash(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return false;
  }
}

/** The publish settings shown once, right after create or rotate-key. */
export function keyPanel(created: EndpointWithKey, onClose: () => void): HTMLElement {
  const key = created.stream_key;
  const server = created.publish_url.endsWith(`/${key}`)
    ? created.publish_url.slice(0, -key.length - 1)
    : created.publish_url;
  const rows: [string, string, string][] = [
    ["Server (RTMP)", server, "rtmp-server"],
    ["Stream key", key, "stream-key"],
    ["Full RTMP URL", created.publish_url, "rtmp-url"],
  ];
  // an origin with SRT ingest answers with the endpoint's full SRT URL (key and passphrase)
  if (created.srt_url) rows.push(["SRT URL", created.srt_url, "srt-url"]);
  return h(
    "section",
    { class: "key-panel", "data-endpoint": created.slug },
    h("h2", {}, `Publish settings for ${created.slug}`),
    h("p", { class: "warn" }, "The stream key is shown only now. Copy it into OBS (Settings → Stream → Custom)."),
    h(
      "dl",
      {},
      ...rows.flatMap(([label, value, id]) => [
        h("dt", {}, label),
        h("dd", {}, h("code", { "data-field": id }, value), copyButton(value, `Copy ${label}`)),
      ]),
    ),
    h("button", { type: "button", onclick: onClose }, "I have saved it"),
  );
}

export function messageBar(el: HTMLElement): Ctx["flash"] {
  return (message, kind = "error") => {
    replace(el, h("span", { class: kind, role: kind === "error" ? "alert" : "status" }, message));
  };
}
