import { ErrorSummary, PasswordInput } from 'govuk-frontend';
import * as api from './api';
import { focusTarget, h, replace } from './dom';
import { button, errorSummary, input, passwordInput, SummaryItem } from './govuk';
import { Agent } from './protocol';

interface FieldErrors {
  email?: string;
  password?: string;
  form?: string;
}

/**
 * The GOV.UK sign-in form: labels and autocomplete for password managers (WCAG 3.3.8: no puzzles, paste allowed),
 * "Show password", and on a mistake an error summary that takes focus and links to the field.
 */
export function renderSignIn(
  app: HTMLElement,
  councilName: string,
  onSignedIn: (token: string, agent: Agent) => void,
  notice?: string,
  heading = 'Sign in to the agent console',
): void {
  let values = { email: '' };

  const draw = (errors: FieldErrors = {}) => {
    const summary: SummaryItem[] = [];
    if (errors.form) summary.push({ href: '#email', text: errors.form });
    if (errors.email) summary.push({ href: '#email', text: errors.email });
    if (errors.password) summary.push({ href: '#password', text: errors.password });
    document.title = `${summary.length ? 'Error: ' : ''}Sign in – Contact Hub – ${councilName}`;

    const form = h(
      'form',
      { id: 'sign-in-form', novalidate: true, onsubmit: (e: Event) => void submit(e) },
      input({ id: 'email', label: 'Email address', type: 'email', autocomplete: 'username', spellcheck: false, value: values.email, error: errors.email }),
      passwordInput({ id: 'password', label: 'Password', error: errors.password }),
      button('Sign in', { id: 'sign-in', type: 'submit' }),
    );
    const summaryEl = summary.length ? errorSummary(summary) : null;
    replace(
      app,
      h(
        'div',
        { class: 'govuk-grid-row' },
        h(
          'div',
          { class: 'govuk-grid-column-two-thirds-from-desktop' },
          summaryEl,
          notice && !summary.length ? h('div', { class: 'govuk-inset-text', role: 'status' }, notice) : null,
          h('h1', { class: 'govuk-heading-l', id: 'sign-in-heading' }, heading),
          h('p', { class: 'govuk-body' }, `Use your ${councilName} staff email address and password.`),
          form,
          h('p', { class: 'govuk-body-s hub-secondary-text' }, 'After 5 wrong passwords the account is locked for 15 minutes. If you cannot sign in, contact your supervisor or the IT service desk.'),
        ),
      ),
    );
    new PasswordInput(app.querySelector('.govuk-password-input'));
    if (summaryEl) new ErrorSummary(summaryEl); // focuses the summary, as GOV.UK pages do after a failed submit
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const email = (document.getElementById('email') as HTMLInputElement).value.trim();
    const password = (document.getElementById('password') as HTMLInputElement).value;
    values = { email };
    const errors: FieldErrors = {};
    if (!email) errors.email = 'Enter your email address';
    else if (!/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = 'Enter an email address in the correct format, like name@council.gov.uk';
    if (!password) errors.password = 'Enter your password';
    if (errors.email || errors.password) return draw(errors);

    const submitButton = document.getElementById('sign-in') as HTMLButtonElement;
    submitButton.disabled = true;
    submitButton.textContent = 'Signing in…';
    const res = await api.login(email, password);
    if (res.status === 200 && res.body?.token) return onSignedIn(res.body.token, res.body.agent);
    draw({ form: res.error ?? 'The email address or password is not correct' });
  };

  draw();
  if (notice) focusTarget(document.getElementById('sign-in-heading'));
}
