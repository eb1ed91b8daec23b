// The dashboard's entry: styles, the shell (top nav, theme toggle) and the hash router that mounts
// the registered pages (pages/index.ts) into <main>.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { Api } from './api.js';
import { h } from './dom.js';
import { defaultPageId, hiddenFromNav, pages } from './pages/index.js';
import { Router } from './router.js';
import { currentTheme, initTheme, THEME_EVENT, toggleTheme } from './theme.js';

function themeLabel(): string {
  return currentTheme() === 'dark' ? '☀ Light' : '☾ Dark';
}

function start(): void {
  initTheme();
  const root = document.getElementById('app') ?? document.body;
  const links = new Map<string, HTMLAnchorElement>();
  const nav = h('nav', { class: 'nav', 'aria-label': 'Pages' });
  for (const p of pages) {
    if (hiddenFromNav.has(p.id)) continue;
    const a = h('a', { href: `#/${p.id}`, 'data-page': p.id }, p.title);
    links.set(p.id, a);
    nav.appendChild(a);
  }
  const themeBtn = h('button', { type: 'button', class: 'theme-toggle', title: 'Switch between light and dark', onclick: () => toggleTheme() }, themeLabel());
  window.addEventListener(THEME_EVENT, () => (themeBtn.textContent = themeLabel()));
  const outlet = h('main', { id: 'outlet' });
  root.replaceChildren(h('header', { class: 'topbar' }, h('a', { class: 'brand', href: `#/${defaultPageId}` }, 'Timeless'), nav, themeBtn), outlet);

  const router = new Router(pages, outlet, new Api(), defaultPageId, (id) => {
    for (const [pid, a] of links) a.classList.toggle('active', pid === id);
  });
  router.start();
}

start();
