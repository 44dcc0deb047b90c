// Edges: an edge node lists its mirror sessions; an origin links to an edge's own console.

import type { EdgeSession } from "./api";
import type { Ctx } from "./context";
import { h, replace, stateLabel } from "./dom";

const EDGE_KEY = "sender.console.edge";

function originPage(root: HTMLElement): () => Promise<void> {
  const url = h("input", { type: "url", name: "edge", placeholder: "http://127.0.0.1:8081", value: localStorage.getItem(EDGE_KEY) ?? "", "aria-label": "Edge URL" });
  const link = h("p");
  const update = (): void => {
    let href = "";
    try {
      const u = new URL(url.value);
      if (u.protocol === "http:" || u.protocol === "https:") href = `${u.origin}/sender/console#/edges`;
    } catch {
      href = "";
    }
    localStorage.setItem(EDGE_KEY, url.value);
    replace(link, href ? h("a", { href, target: "_blank", rel: "noopener" }, `Open ${href}`) : "");
  };
  url.addEventListener("input", update);
  update();
  replace(root, h("h1", {}, "Edges"),
    h("p", {}, "Each edge serves this console for its own mirror sessions (sign in there with its token)."),
    h("label", {}, "Edge URL ", url), link);
  return async () => undefined;
}

export function edgesPage(ctx: Ctx, root: HTMLElement): () => Promise<void> {
  if (ctx.node.role !== "edge") return originPage(root);
  const tbody = h("tbody");
  replace(root, h("h1", {}, "Mirror sessions"),
    h("table", {}, h("thead", {}, h("tr", {}, ...["Endpoint", "State", "Upstream", "Gen", "Lag", "Segments", "Last error"].map((c) => h("th", {}, c)))), tbody));
  return async () => {
    const list = await ctx.api.get<{ data: EdgeSession[] }>("/api/v1/edge/sessions");
    replace(tbody, ...(list.data.length ? list.data.map((s) =>
      h("tr", { "data-slug": s.endpoint },
        h("td", {}, s.endpoint),
        h("td", {}, h("span", { class: `state state-${stateLabel(s.state)}` }, stateLabel(s.state))),
        h("td", {}, s.upstream_url ?? "–"),
        h("td", {}, s.generation ?? "–"),
        h("td", { "data-field": "lag" }, s.lag_seconds != null ? `${s.lag_seconds.toFixed(1)} s` : "–"),
        h("td", {}, s.segments_mirrored),
        h("td", {}, s.last_error ?? ""))) : [h("tr", {}, h("td", { colspan: 7 }, "No mirror sessions."))]));
  };
}
