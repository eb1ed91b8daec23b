// A tiny element builder, so pages read as markup without a UI framework:
// h('a', { href: '#/logs', class: 'active', onclick: fn }, 'Logs', child, [more, children]).
// Text children become text nodes (never innerHTML), so stored log messages cannot inject markup.

export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type AttrValue = string | number | boolean | null | undefined | ((ev: any) => void);
export type Attrs = Record<string, AttrValue>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.startsWith('on') ? k.slice(2) : k, v);
      else if (k === 'class') el.className = String(v);
      // Properties, not attributes: the live state of form controls.
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') (el as unknown as Record<string, unknown>)[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function setChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** An error line shown where the failed action lives (never swallowed). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
