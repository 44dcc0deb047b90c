// The operator console: sign-in, navigation and polling. Everything goes through the
// management API (see docs/API.md) with the token kept in this tab's session storage.

import { Api, ApiError, storeToken, storedToken, type NodeInfo } from "./api";
import { messageBar, type Ctx } from "./context";
import { edgesPage } from "./edges";
import { endpointPage } from "./endpoint";
import { endpointsPage } from "./endpoints";
import { h, replace } from "./dom";

const POLL_MS = 2000;

function probePath(node: NodeInfo): string {
  return node.role === "edge" ? "/api/v1/edge/sessions" : "/api/v1/endpoints?limit=1";
}

class Console {
  private timer: number | undefined;
  private refresh: (() => Promise<void>) | null = null;
  private readonly bar = h("div", { class: "messages", "aria-live": "polite" });
  private readonly main = h("main");

  constructor(
    private readonly root: HTMLElement,
    private readonly node: NodeInfo,
  ) {}

  async boot(): Promise<void> {
    const api = new Api(storedToken());
    try {
      await api.get(probePath(this.node));
    } catch (err) {
      const detail = err instanceof ApiError ? err.message : String(err);
      this.signIn(api.token ? `Sign-in failed: ${detail}` : "");
      return;
    }
    this.start(api);
  }

  signIn(error: string): void {
    window.clearTimeout(this.timer);
    const token = h("input", { type: "password", name: "token", autocomplete: "current-password", "aria-label": "API token", required: true });
    const err = h("p", { class: "error", role: "alert", id: "signin-error" }, error);
    const form = h("form", { class: "signin" },
      h("h1", {}, "Sender console"),
      h("p", {}, `Sign in to the ${this.node.role} ${this.node.name} with its management token (SENDER_API_TOKEN).`),
      h("label", {}, "Token ", token), h("button", { type: "submit" }, "Sign in"), err);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const api = new Api(token.value.trim());
      api.get(probePath(this.node)).then(
        () => {
          storeToken(api.token);
          this.start(api);
        },
        (e: unknown) => replace(err, `Sign-in failed: ${e instanceof ApiError ? e.message : String(e)}`),
      );
    });
    replace(this.root, form);
    token.focus();
  }

  start(api: Api): void {
    const ctx: Ctx = {
      api,
      node: this.node,
      flash: messageBar(this.bar),
      signOut: (message) => {
        storeToken("");
        this.signIn(message);
      },
    };
    const nav = h("nav", {},
      h("strong", {}, "Sender"), " ",
      h("span", { class: "node" }, `${this.node.role} · ${this.node.name}`),
      this.node.role === "edge" ? null : h("a", { href: "#/" }, "Endpoints"),
      h("a", { href: "#/edges" }, "Edges"),
      h("button", { type: "button", class: "link", onclick: () => ctx.signOut("Signed out.") }, "Sign out"));
    replace(this.root, nav, this.bar, this.main);
    const route = (): void => {
      const hash = location.hash.replace(/^#/, "");
      const m = /^\/endpoint\/([^/]+)$/.exec(hash);
      if (this.node.role === "edge" || hash === "/edges") this.refresh = edgesPage(ctx, this.main);
      else if (m?.[1]) this.refresh = endpointPage(ctx, this.main, decodeURIComponent(m[1]));
      else this.refresh = endpointsPage(ctx, this.main);
      void this.poll(ctx);
    };
    window.onhashchange = route;
    route();
  }

  private async poll(ctx: Ctx): Promise<void> {
    window.clearTimeout(this.timer);
    const current = this.refresh;
    try {
      await current?.();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return ctx.signOut(`Signed out: ${err.message}`);
      ctx.flash(err instanceof Error ? err.message : String(err));
    }
    if (current === this.refresh) this.timer = window.setTimeout(() => void this.poll(ctx), POLL_MS);
  }
}

async function main(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  const node = await new Api("").get<NodeInfo>("/api/v1/node").catch(() => null);
  if (!node) {
    replace(root, h("p", { class: "error", role: "alert" }, "The node cannot be reached."));
    return;
  }
  await new Console(root, node).boot();
}

void main();
