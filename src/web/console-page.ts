import { Theme } from './theme';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The HTML shell of /console: GOV.UK template classes, the Generic header with the council's name (councils do not
 * use the GOV.UK header, crown or font), a skip link, and an empty main the script fills. No inline script or
 * style, so the Content-Security-Policy can forbid both.
 */
export function consolePage(theme: Theme): string {
  const council = escapeHtml(theme.councilName);
  const home = escapeHtml(theme.homepageUrl ?? '/console');
  return `<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>Agent console – Contact Hub – ${council}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="${escapeHtml(theme.colour)}">
  <meta name="robots" content="noindex, nofollow">
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/console.css">
  <link rel="stylesheet" href="/assets/theme.css">
  <script src="/assets/console.js" defer></script>
</head>
<body class="govuk-template__body hub-console">
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
          <a href="/console" class="govuk-service-navigation__link">Contact Hub agent console</a>
        </span>
      </div>
      <div id="agent-bar" class="hub-agent-bar"></div>
    </div>
  </section>
  <div class="govuk-width-container hub-wide">
    <main class="govuk-main-wrapper hub-main" id="main-content">
      <div id="app">
        <noscript><p class="govuk-body">The agent console needs JavaScript. Turn it on in your browser, or ask your IT service desk.</p></noscript>
        <p class="govuk-body hub-loading">Loading the agent console…</p>
      </div>
    </main>
  </div>
  <footer class="govuk-footer hub-footer">
    <div class="govuk-width-container hub-wide">
      <div class="govuk-footer__meta">
        <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
          <p class="govuk-body-s hub-footer__text">Contact Hub for ${council}. Internal staff service: messages from residents are confidential.</p>
        </div>
      </div>
    </div>
  </footer>
</body>
</html>
`;
}

/** A plain square in the council's colour: councils do not use the GOV.UK crown icon. */
export function faviconSvg(theme: Theme): string {
  const initial = escapeHtml((theme.councilName.trim()[0] ?? 'C').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="${escapeHtml(theme.colour)}"/><text x="16" y="22" font-family="Arial, sans-serif" font-size="18" font-weight="700" text-anchor="middle" fill="#fff">${initial}</text></svg>`;
}
