import { escapeHtml } from '../common/html';

export interface DemoOptions {
  /** The web chat inbox's token; without one the page explains how to get it. */
  inbox: string | null;
  council: string;
  colour: string;
  lang: 'en' | 'cy' | null;
  position: 'left' | 'right';
}

/**
 * /demo: a sample page of a fictional council's website, carrying the widget exactly as a council would embed it
 * (one script tag, nothing inline). GOV.UK Frontend's layout and type, but the Generic header and no crown or GDS
 * font: councils are not GOV.UK, and the banner says the council is made up.
 */
export function demoPage(o: DemoOptions): string {
  const council = escapeHtml(o.council);
  const query = (lang: 'en' | 'cy') => `/demo?${new URLSearchParams({ ...(o.inbox ? { inbox: o.inbox } : {}), lang }).toString()}`;
  const widget = o.inbox
    ? `<script src="/widget.js" defer data-inbox="${escapeHtml(o.inbox)}" data-council="${council}" data-colour="${escapeHtml(o.colour)}"${o.lang ? ` data-lang="${o.lang}"` : ''} data-position="${o.position}"></script>`
    : '';
  const missing = o.inbox
    ? ''
    : `<div class="govuk-inset-text">The chat is not on this page yet: it needs a web chat inbox. Open this page as
        <code>/demo?inbox=&lt;token&gt;</code> with the token of a web chat inbox (the seed prints one; or create one with
        <code>npm run hub -- inbox:create --channel webchat</code>).</div>`;
  return `<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>Contact the council – ${council}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="${escapeHtml(o.colour)}">
  <meta name="robots" content="noindex, nofollow">
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/demo.css">
  ${widget}
</head>
<body class="govuk-template__body demo">
  <a href="#main-content" class="govuk-skip-link">Skip to main content</a>
  <header class="govuk-generic-header demo-header">
    <div class="govuk-generic-header__container govuk-width-container">
      <div class="govuk-generic-header__logo">
        <a href="/demo" class="govuk-generic-header__homepage-link demo-header__council">${council}</a>
      </div>
    </div>
  </header>
  <div class="govuk-width-container">
    <div class="govuk-phase-banner demo-banner">
      <p class="govuk-phase-banner__content">
        <strong class="govuk-tag govuk-phase-banner__content__tag">Demo</strong>
        <span class="govuk-phase-banner__text">A sample council page to try the Contact Hub web chat. ${council} is made up.</span>
      </p>
    </div>
    <nav class="govuk-breadcrumbs" aria-label="Breadcrumb">
      <ol class="govuk-breadcrumbs__list">
        <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/demo">Home</a></li>
        <li class="govuk-breadcrumbs__list-item">Contact the council</li>
      </ol>
    </nav>
    <main class="govuk-main-wrapper" id="main-content">
      <div class="govuk-grid-row">
        <div class="govuk-grid-column-two-thirds">
          <h1 class="govuk-heading-xl">Contact the council</h1>
          <p class="govuk-body-l">Ask us about bins and recycling, council tax, housing, roads, parking and more.</p>
          ${missing}
          <nav aria-labelledby="contents-title" class="demo-contents">
            <h2 class="govuk-heading-s" id="contents-title">On this page</h2>
            <ul class="govuk-list">
              <li><a class="govuk-link" href="#chat">Chat with us online</a></li>
              <li><a class="govuk-link" href="#phone">Phone</a></li>
              <li><a class="govuk-link" href="#visit">Visit us</a></li>
              <li><a class="govuk-link" href="#accessibility">Using the chat with a keyboard or screen reader</a></li>
              <li><a class="govuk-link" href="#privacy">How we use what you tell us</a></li>
            </ul>
          </nav>

          <h2 class="govuk-heading-l" id="chat">Chat with us online</h2>
          <p class="govuk-body">Select <strong>Chat with us</strong> at the bottom of the page to talk to an adviser. Advisers are
            available Monday to Friday, 9am to 5pm. At other times you can leave a message: we will reply in the chat, and by
            email if you give us your email address.</p>
          <p class="govuk-body"><a class="govuk-link" href="${escapeHtml(query('cy'))}" lang="cy" hreflang="cy">Sgwrsio â ni yn Gymraeg</a>
            (chat with us in Welsh) · <a class="govuk-link" href="${escapeHtml(query('en'))}">Chat in English</a></p>
          <div class="govuk-warning-text">
            <span class="govuk-warning-text__icon" aria-hidden="true">!</span>
            <strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>
              Do not send card details in the chat. We will never ask for them there.</strong>
          </div>
          <p class="govuk-body">You can also report or apply for things online:</p>
          <ul class="govuk-list govuk-list--bullet">
            <li>report a missed bin collection</li>
            <li>pay your council tax or tell us you are moving home</li>
            <li>report a pothole or a broken streetlight</li>
            <li>apply for a resident’s parking permit</li>
          </ul>

          <h2 class="govuk-heading-l" id="phone">Phone</h2>
          <p class="govuk-body">Telephone: 01632 960 000<br>Monday to Friday, 9am to 5pm</p>
          <p class="govuk-body">If you are deaf, hard of hearing or speech impaired, use Relay UK: 18001 then 01632 960 000.</p>

          <h2 class="govuk-heading-l" id="visit">Visit us</h2>
          <p class="govuk-body">Anytown Town Hall<br>Market Square<br>Anytown<br>AN1 1AA</p>

          <h2 class="govuk-heading-l" id="accessibility">Using the chat with a keyboard or screen reader</h2>
          <p class="govuk-body">Tab to <strong>Chat with us</strong> and press Enter. Focus moves into the chat; press Escape to
            close it and go back to the button. New messages are read out by screen readers as they arrive, without moving
            your place. The chat works at 400% zoom and on small screens, where it fills the screen.</p>

          <h2 class="govuk-heading-l" id="privacy">How we use what you tell us</h2>
          <p class="govuk-body">What you write in the chat goes to the council’s customer services and becomes part of your
            enquiry. We keep chat records for the time set out in our privacy notice. The chat stores a random visitor
            number in your browser so that it can show you your conversation again; it holds nothing else about you.</p>
        </div>
      </div>
      <form class="demo-feedback" action="/demo" method="get">
        ${o.inbox ? `<input type="hidden" name="inbox" value="${escapeHtml(o.inbox)}">` : ''}
        <h2 class="govuk-heading-s demo-feedback__question" id="feedback-question">Is this page useful?</h2>
        <div class="govuk-button-group">
          <button class="govuk-button govuk-button--secondary" name="useful" value="yes" aria-describedby="feedback-question">Yes</button>
          <button class="govuk-button govuk-button--secondary" name="useful" value="no" aria-describedby="feedback-question">No</button>
        </div>
      </form>
    </main>
  </div>
  <footer class="govuk-footer">
    <div class="govuk-width-container">
      <div class="govuk-footer__meta">
        <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
          <h2 class="govuk-visually-hidden">Support links</h2>
          <ul class="govuk-footer__inline-list">
            <li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="#accessibility">Accessibility</a></li>
            <li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="#privacy">Privacy</a></li>
            <li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="#phone">Contact us</a></li>
          </ul>
          <p class="govuk-body-s">© ${council} (a made-up council, for demonstration). The chat is Contact Hub, open-source software.</p>
        </div>
      </div>
    </div>
  </footer>
</body>
</html>
`;
}
