// Every element of the app is made here, and flow data only ever becomes
// text (textContent) or a value of a fixed, safe attribute. There is no
// innerHTML anywhere in the app.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | ((ev: Event) => void)>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el: Element, attrs: Attrs | undefined, children: Child[]): void {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (typeof v === 'function') {
        if (!k.startsWith('on')) throw new Error('handler on a non-event attribute');
        el.addEventListener(k.slice(2), v);
        continue;
      }
      // Event-handler attributes never take strings: only functions above.
      if (k.toLowerCase().startsWith('on') || k === 'href' || k === 'src' || k === 'style') {
        throw new Error('unsafe attribute ' + k);
      }
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** h makes an HTML element; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

/** s makes an SVG element. */
export function s(tag: string, attrs?: Attrs, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  apply(el, attrs, children);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
