import { accessibleColour } from './colour';
import { chooseLang } from './strings';
import { ChatWidget, WidgetConfig } from './widget';

/**
 * /widget.js: reads its own <script> tag's data attributes and adds the chat to the page. Nothing else is needed
 * on the host page (no inline script), and a second copy of the tag does nothing.
 */
function ownTag(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.inbox !== undefined) return current;
  const tags = document.querySelectorAll<HTMLScriptElement>('script[src*="/widget.js"][data-inbox]');
  return tags[tags.length - 1] ?? null;
}

function configure(tag: HTMLScriptElement): WidgetConfig | null {
  const inbox = tag.dataset.inbox?.trim();
  if (!inbox) {
    console.warn('Contact Hub: the widget’s <script> tag needs data-inbox="<web chat inbox token>"');
    return null;
  }
  return {
    origin: new URL(tag.src, location.href).origin,
    inbox,
    council: tag.dataset.council?.trim() || null,
    colour: accessibleColour(tag.dataset.colour ?? tag.dataset.color),
    lang: chooseLang(tag.dataset.lang, navigator.languages?.length ? navigator.languages : [navigator.language]),
    position: tag.dataset.position === 'left' ? 'left' : 'right',
  };
}

function mount(config: WidgetConfig): void {
  if (document.querySelector('contact-hub-chat')) return;
  const host = document.createElement('contact-hub-chat');
  document.body.append(host);
  new ChatWidget(host, config);
}

const tag = ownTag();
const config = tag && configure(tag);
if (config) {
  if (document.body) mount(config);
  else document.addEventListener('DOMContentLoaded', () => mount(config), { once: true });
}
