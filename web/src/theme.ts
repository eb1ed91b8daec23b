// Light/dark theme. With nothing stored the page follows prefers-color-scheme (pure CSS, see
// styles.css); the toggle stores an explicit choice in localStorage and sets <html data-theme>.
// Charts read their colours from CSS variables, so they listen for 'timeless:theme' to redraw.

export type Theme = 'light' | 'dark';
const KEY = 'timeless.theme';
export const THEME_EVENT = 'timeless:theme';

function stored(): Theme | undefined {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : undefined;
  } catch {
    return undefined; // storage disabled (privacy mode): follow the system
  }
}

/** The theme in effect now. */
export function currentTheme(): Theme {
  return stored() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

export function initTheme(): void {
  const t = stored();
  if (t) document.documentElement.dataset.theme = t;
  // A system switch matters only while no explicit choice is stored.
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => {
    if (!stored()) window.dispatchEvent(new CustomEvent(THEME_EVENT, { detail: currentTheme() }));
  });
}

export function setTheme(t: Theme): void {
  try {
    localStorage.setItem(KEY, t);
  } catch {
    // not persisted; still applied for this page
  }
  document.documentElement.dataset.theme = t;
  window.dispatchEvent(new CustomEvent(THEME_EVENT, { detail: t }));
}

export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  setTheme(next);
  return next;
}

/** A CSS variable's value (e.g. '--fg') as charts need plain colour strings. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
