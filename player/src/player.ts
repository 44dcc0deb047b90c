// Sender web player bootstrap: the player of <div id="sender-player" data-endpoint=".."
// data-api-base=""> (the player page, `window.senderPlayer`), and the `<sender-player>`
// element for any other page of a node (the console's preview).
import { SenderPlayer } from "./sender";

/**
 * `<sender-player endpoint="demo" api-base="">`: the player as an element of any page of the
 * node (the console's preview). `element.player` is its `SenderPlayerHandle`; its `<video>`
 * is in the light DOM (`sender-player video`). Keyboard shortcuts act while focus is in it.
 */
class SenderPlayerElement extends HTMLElement {
  player: SenderPlayer | null = null;

  connectedCallback(): void {
    const endpoint = this.getAttribute("endpoint");
    if (this.player === null && endpoint) {
      this.tabIndex = 0;
      this.player = new SenderPlayer(this, endpoint, this.getAttribute("api-base") ?? "", false);
      this.player.start();
    }
  }

  disconnectedCallback(): void {
    this.player?.stop();
    this.player = null;
  }
}

function boot(): void {
  const root = document.getElementById("sender-player");
  const endpoint = root?.dataset["endpoint"];
  if (!root || !endpoint) {
    return; // a page with <sender-player> elements only
  }
  const sender = new SenderPlayer(root, endpoint, root.dataset["apiBase"] ?? "");
  window.senderPlayer = sender;
  sender.start();
}

if (customElements.get("sender-player") === undefined) {
  customElements.define("sender-player", SenderPlayerElement);
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", boot, { once: true });
} else {
  boot();
}
