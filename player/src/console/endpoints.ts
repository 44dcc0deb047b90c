// The endpoints page: live state of every endpoint, create, and the actions.

import type { Endpoint, EndpointWithKey, StreamStatus, Viewers } from "./api";
import { act, confirmOrCancel, keyPanel, type Ctx } from "./context";
import { h, replace, stateLabel, uptime } from "./dom";

export interface Row {
  endpoint: Endpoint;
  status: StreamStatus | null;
  viewers: Viewers | null;
}

export async function loadRows(ctx: Ctx): Promise<Row[]> {
  const [list, streams] = await Promise.all([
    ctx.api.get<{ data: Endpoint[] }>("/api/v1/endpoints?limit=1000"),
    ctx.api.get<StreamStatus[]>("/api/v1/streams"),
  ]);
  const bySlug = new Map(streams.map((s) => [s.endpoint, s]));
  return Promise.all(
    list.data.map(async (endpoint): Promise<Row> => {
      const slug = encodeURIComponent(endpoint.slug);
      let status = bySlug.get(endpoint.slug) ?? null;
      if (status === null && endpoint.type === "origin") {
        status = await ctx.api.get<StreamStatus>(`/api/v1/streams/${slug}`).catch(() => null);
      }
      const viewers =
        status?.state === "live"
          ? await ctx.api.get<Viewers>(`/api/v1/streams/${slug}/viewers?since_seconds=60`).catch(() => null)
          : null;
      return { endpoint, status, viewers };
    }),
  );
}

/** Buttons for one endpoint's actions; `after` refreshes the page. */
export function actions(ctx: Ctx, slug: string, status: StreamStatus | null, showKey: (k: EndpointWithKey) => void, after: () => void): HTMLElement {
  const path = `/api/v1/streams/${encodeURIComponent(slug)}`;
  const epPath = `/api/v1/endpoints/${encodeURIComponent(slug)}`;
  const run = (what: string, fn: () => Promise<unknown>) => async () => {
    if (await act(ctx, `${what} ${slug}`, fn)) after();
  };
  const stopped = status?.state === "stopped";
  return h(
    "div",
    { class: "actions" },
    status?.publisher ? h("button", { type: "button", "data-action": "kick", onclick: run("Kick", () => ctx.api.post(`${path}/kick`)) }, "Kick") : null,
    status?.publisher ? h("button", { type: "button", "data-action": "kick-block", onclick: run("Kick and block", () => ctx.api.post(`${path}/kick?block=true`)) }, "Kick + block") : null,
    stopped
      ? h("button", { type: "button", "data-action": "start", onclick: run("Start", () => ctx.api.post(`${path}/start`)) }, "Start")
      : h("button", { type: "button", "data-action": "stop", onclick: run("Stop", () => ctx.api.post(`${path}/stop`)) }, "Stop"),
    h("button", {
      type: "button",
      "data-action": "rotate",
      onclick: run("Rotate key", async () => {
        confirmOrCancel(`Rotate the stream key of ${slug}? The current key stops working.`);
        showKey(await ctx.api.post<EndpointWithKey>(`${epPath}/rotate-key`));
      }),
    }, "Rotate key"),
    h("button", {
      type: "button",
      class: "danger",
      "data-action": "delete",
      onclick: run("Delete", async () => {
        confirmOrCancel(`Delete ${slug}? Its stream stops and its recordings are removed.`);
        await ctx.api.request("DELETE", epPath);
      }),
    }, "Delete"),
  );
}

function row(ctx: Ctx, r: Row, showKey: (k: EndpointWithKey) => void, refresh: () => void): HTMLTableRowElement {
  const s = r.status;
  const state = s ? stateLabel(s.state) : r.endpoint.type === "edge" ? "edge" : "idle";
  const kbps = s?.ingest_bitrate_kbps;
  return h(
    "tr",
    { "data-slug": r.endpoint.slug },
    h("td", {}, h("a", { href: `#/endpoint/${encodeURIComponent(r.endpoint.slug)}` }, r.endpoint.slug)),
    h("td", { class: "title" }, r.endpoint.title),
    h("td", {}, h("span", { class: `state state-${state}`, "data-field": "state" }, state), r.endpoint.key_blocked ? h("span", { class: "tag" }, "key blocked") : null),
    h("td", { "data-field": "generation" }, s?.generation ?? "–"),
    h("td", { "data-field": "uptime" }, uptime(s?.publisher?.since)),
    h("td", { "data-field": "bitrate" }, kbps != null ? `${Math.round(kbps)} kb/s` : "–"),
    h("td", { "data-field": "viewers", title: r.viewers ? `from ${r.viewers.source}` : "" }, r.viewers?.now ?? "–"),
    h("td", {}, actions(ctx, r.endpoint.slug, s, showKey, refresh)),
  );
}

export function endpointsPage(ctx: Ctx, root: HTMLElement): () => Promise<void> {
  const keyBox = h("div", { id: "key-box" });
  const tbody = h("tbody");
  // no pattern of its own: the API judges the slug (SLUG_PATTERN) and its message is shown
  const slug = h("input", { name: "slug", required: true, placeholder: "my-stream", "aria-label": "Slug" });
  const title = h("input", { name: "title", placeholder: "Title (optional)", "aria-label": "Title" });
  const showKey = (k: EndpointWithKey): void => replace(keyBox, keyPanel(k, () => replace(keyBox)));
  const refresh = async (): Promise<void> => {
    const rows = await loadRows(ctx);
    replace(tbody, ...(rows.length ? rows.map((r) => row(ctx, r, showKey, () => void refresh())) : [h("tr", {}, h("td", { colspan: 8 }, "No endpoints yet."))]));
  };
  const form = h(
    "form",
    { class: "create", novalidate: true },
    h("h2", {}, "New endpoint"),
    slug,
    title,
    h("button", { type: "submit" }, "Create"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void act(ctx, `Create ${slug.value}`, async () => {
      showKey(await ctx.api.post<EndpointWithKey>("/api/v1/endpoints", { slug: slug.value.trim(), title: title.value }));
      form.reset();
    }).then(() => refresh());
  });
  replace(
    root,
    h("h1", {}, "Endpoints"),
    form,
    keyBox,
    h("table", { class: "endpoints" },
      h("thead", {}, h("tr", {}, ...["Endpoint", "Title", "State", "Gen", "Uptime", "Ingest", "Viewers", ""].map((c) => h("th", {}, c)))),
      tbody),
  );
  return refresh;
}
