/** The GOV.UK Frontend components the console uses (the package ships JavaScript without type declarations). */
declare module 'govuk-frontend' {
  class GovukComponent {
    constructor(root: Element | null, config?: Record<string, unknown>);
  }
  export class CharacterCount extends GovukComponent {}
  export class ErrorSummary extends GovukComponent {}
  export class PasswordInput extends GovukComponent {}
  export class SkipLink extends GovukComponent {}
  export class Button extends GovukComponent {}
}
