// DOM building without markup strings: every value becomes a text node or an attribute
// value, so a title holding `<img onerror=...>` is shown as text.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? text(c) : c);
  }
}

export function text(value: string | number): Text {
  return document.createTextNode(String(value));
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function copyButton(value: string, label: string): HTMLButtonElement {
  const btn = h("button", { type: "button", class: "copy", "aria-label": label }, "Copy");
  btn.addEventListener("click", () => {
    void navigator.clipboard?.writeText(value).then(
      () => (btn.textContent = "Copied"),
      () => (btn.textContent = "Select and copy"),
    );
  });
  return btn;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const pad = (n: number): string => String(n).padStart(2, "0");
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

export function uptime(since: string | undefined): string {
  if (!since) return "–";
  return duration((Date.now() - Date.parse(since)) / 1000);
}

export function stateLabel(state: string): string {
  return state === "waiting_source" ? "waiting" : state;
}
