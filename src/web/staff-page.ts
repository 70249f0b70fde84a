import { escapeHtml } from '../common/html';
import { Theme } from './theme';

/** What differs between the staff pages; the frame around them is one. */
export interface StaffPageSpec {
  path: '/console' | '/supervisor';
  /** The bundle's name in /assets: `<asset>.js` and `<asset>.css`. */
  asset: string;
  title: string;
  serviceName: string;
  bodyClass: string;
  /** "the agent console", as in "Loading the agent console…". */
  what: string;
  footer: string;
  /** Links to the other staff pages, the current one marked. */
  nav?: Array<{ path: string; label: string }>;
}

export const CONSOLE_PAGE: StaffPageSpec = {
  path: '/console',
  asset: 'console',
  title: 'Agent console',
  serviceName: 'Contact Hub agent console',
  bodyClass: 'hub-console',
  what: 'the agent console',
  footer: 'messages from residents are confidential',
};

export const SUPERVISOR_PAGE: StaffPageSpec = {
  path: '/supervisor',
  asset: 'supervisor',
  title: 'Supervisor dashboard',
  serviceName: 'Contact Hub supervisor dashboard',
  bodyClass: 'hub-console hub-supervisor',
  what: 'the supervisor dashboard',
  footer: 'figures about residents’ cases are confidential',
  nav: [
    { path: '/console', label: 'Agent console' },
    { path: '/supervisor', label: 'Dashboard' },
  ],
};

/**
 * The HTML shell of a staff page (/console, /supervisor): GOV.UK template classes, the Generic header with the
 * council's name (councils do not use the GOV.UK header, crown or font), a skip link, and an empty main the
 * page's script fills. No inline script or style, so the Content-Security-Policy can forbid both.
 */
export function staffPage(theme: Theme, page: StaffPageSpec): string {
  const council = escapeHtml(theme.councilName);
  const home = escapeHtml(theme.homepageUrl ?? page.path);
  const what = escapeHtml(page.what);
  const capitalised = what.charAt(0).toUpperCase() + what.slice(1);
  return `<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(page.title)} – Contact Hub – ${council}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="${escapeHtml(theme.colour)}">
  <meta name="robots" content="noindex, nofollow">
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/${page.asset}.css">
  <link rel="stylesheet" href="/assets/theme.css">
  <script src="/assets/${page.asset}.js" defer></script>
</head>
<body class="govuk-template__body ${page.bodyClass}">
  <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
  <header class="govuk-generic-header hub-header">
    <div class="govuk-generic-header__container govuk-width-container hub-wide">
      <div class="govuk-generic-header__logo">
        <a href="${home}" class="govuk-generic-header__homepage-link hub-header__council">${council}</a>
      </div>
    </div>
  </header>
  <section aria-label="Service information" class="govuk-service-navigation hub-service-nav">
    <div class="govuk-width-container hub-wide govuk-service-navigation__inlining-container">
      <div class="govuk-service-navigation__container">
        <span class="govuk-service-navigation__service-name">
          <a href="${page.path}" class="govuk-service-navigation__link">${escapeHtml(page.serviceName)}</a>
        </span>${navigation(page)}
      </div>
      <div id="agent-bar" class="hub-agent-bar"></div>
    </div>
  </section>
  <div class="govuk-width-container hub-wide">
    <main class="govuk-main-wrapper hub-main" id="main-content">
      <div id="app">
        <noscript><p class="govuk-body">${capitalised} needs JavaScript. Turn it on in your browser, or ask your IT service desk.</p></noscript>
        <p class="govuk-body hub-loading">Loading ${what}…</p>
      </div>
    </main>
  </div>
  <footer class="govuk-footer hub-footer">
    <div class="govuk-width-container hub-wide">
      <div class="govuk-footer__meta">
        <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
          <p class="govuk-body-s hub-footer__text">Contact Hub for ${council}. Internal staff service: ${escapeHtml(page.footer)}.</p>
        </div>
      </div>
    </div>
  </footer>
</body>
</html>
`;
}

function navigation(page: StaffPageSpec): string {
  if (!page.nav) return '';
  const items = page.nav.map(({ path, label }) =>
    path === page.path
      ? `<li class="govuk-service-navigation__item govuk-service-navigation__item--active"><a class="govuk-service-navigation__link" href="${path}" aria-current="page"><strong class="govuk-service-navigation__active-fallback">${escapeHtml(label)}</strong></a></li>`
      : `<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="${path}">${escapeHtml(label)}</a></li>`,
  );
  return `
        <nav aria-label="Staff pages" class="govuk-service-navigation__wrapper">
          <ul class="govuk-service-navigation__list">
            ${items.join('\n            ')}
          </ul>
        </nav>`;
}

/** A plain square in the council's colour: councils do not use the GOV.UK crown icon. */
export function faviconSvg(theme: Theme): string {
  const initial = escapeHtml((theme.councilName.trim()[0] ?? 'C').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="${escapeHtml(theme.colour)}"/><text x="16" y="22" font-family="Arial, sans-serif" font-size="18" font-weight="700" text-anchor="middle" fill="#fff">${initial}</text></svg>`;
}
