import { SkipLink } from 'govuk-frontend';
import { ConsoleApp } from './app';

// What GOV.UK's page template does with an inline script, done here because the page's CSP forbids inline scripts.
document.body.classList.add('js-enabled', 'govuk-frontend-supported');
for (const link of document.querySelectorAll('[data-module="govuk-skip-link"]')) new SkipLink(link);

const app = document.getElementById('app')!;
const bar = document.getElementById('agent-bar')!;
const council = document.querySelector('.hub-header__council')?.textContent?.trim() || 'your council';
void new ConsoleApp(app, bar, council).start();
