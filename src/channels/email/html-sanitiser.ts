import { Parser } from 'htmlparser2';
import { escapeHtml } from '../../common/html';

/**
 * An allow-list HTML sanitiser for the audit copy of an email's HTML: structure and text stay, anything that runs,
 * loads or hides something goes (scripts, styles, frames, forms, event handlers, remote images, non-http links).
 */
const ALLOWED = new Set([
  'a', 'b', 'blockquote', 'br', 'code', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'li', 'ol', 'p', 'pre',
  'span', 'strong', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul',
]);
/** Elements dropped together with everything inside them. */
const DROP_WITH_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'noscript', 'template', 'svg', 'math', 'head', 'title', 'form', 'select', 'textarea', 'button']);
const VOID = new Set(['br', 'hr']);

export function sanitiseHtml(html: string): string {
  const out: string[] = [];
  const open: string[] = [];
  let dropping = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        // htmlparser2 closes every tag it opens (void ones at once, the rest at the latest at end()): a counter suffices.
        if (dropping || DROP_WITH_CONTENT.has(name)) {
          dropping++;
          return;
        }
        if (!ALLOWED.has(name)) return;
        out.push(`<${name}${name === 'a' ? linkAttrs(attrs) : ''}>`);
        if (!VOID.has(name)) open.push(name);
      },
      ontext(text) {
        if (!dropping) out.push(escapeHtml(text));
      },
      onclosetag(name) {
        if (dropping) {
          dropping--;
          return;
        }
        if (!ALLOWED.has(name) || VOID.has(name)) return;
        const at = open.lastIndexOf(name);
        if (at < 0) return;
        while (open.length > at) out.push(`</${open.pop()}>`);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  while (open.length) out.push(`</${open.pop()}>`);
  return out.join('');
}

function linkAttrs(attrs: Record<string, string>): string {
  const href = (attrs.href ?? '').trim();
  if (!/^(https?:|mailto:)/i.test(href)) return '';
  return ` href="${escapeHtml(href)}" rel="noopener noreferrer nofollow"`;
}

