import { CARD_PLACEHOLDER, luhnValid, redactCardData } from './redaction';

describe('redactCardData', () => {
  describe('removes card numbers', () => {
    it.each([
      ['Visa, spaced', 'my card is 4111 1111 1111 1111 thanks'],
      ['Visa, contiguous', 'card 4012888888881881'],
      ['Mastercard, hyphens', 'use 5555-5555-5555-4444 please'],
      ['Mastercard 2-series', '2223003122003222'],
      ['Amex 4-6-5', 'amex 3782 822463 10005'],
      ['Amex contiguous', '371449635398431'],
      ['Visa 13 digits', 'old card 4222222222222'],
      ['Maestro 19 digits', '6759649826438453 is not it but 6304000000000000000 is'],
    ])('%s', (_, text) => {
      const r = redactCardData(text);
      expect(r.cardNumbers).toBeGreaterThanOrEqual(1);
      expect(r.text).toContain(CARD_PLACEHOLDER);
      expect(r.text.replace(/\D/g, '').length).toBeLessThan(13);
    });
  });

  it('removes an expiry date and a security code written next to a card number', () => {
    const r = redactCardData('4111 1111 1111 1111 exp 12/27 cvv 123, call me on 07700 900123 later this week please');
    expect(r).toMatchObject({ cardNumbers: 1, expiryDates: 1, securityCodes: 1 });
    expect(r.text).not.toMatch(/12\/27|\b123\b/);
    expect(r.text).toContain('07700 900123');
  });

  it('keeps a phone number written right after a card number', () => {
    const r = redactCardData('4111111111111111 or call 020 7946 0958');
    expect(r.text).toBe(`${CARD_PLACEHOLDER} or call 020 7946 0958`);
  });

  it('leaves a three-digit number far from any card number alone', () => {
    const r = redactCardData('4111111111111111. Separately, and much later in this message, flat 123 needs a repair');
    expect(r.text).toContain('flat 123');
  });

  describe('keeps what is not a card number', () => {
    it.each([
      ['UK mobile', 'call me on 07700 900123'],
      ['UK mobile, international', 'ring +44 7700 900 123'],
      ['landline', 'my number is 020 7946 0958'],
      ['12-digit property reference (UPRN)', 'UPRN 100023336956 is my house'],
      ['digit run failing Luhn', 'reference 4111 1111 1111 1112'],
      ['phone number then a UPRN', 'tel 07700 900123 100023336956'],
      ['council tax account', 'account 60012345'],
      ['date', 'on 12/03/2026 at 10:30'],
    ])('%s', (_, text) => {
      const r = redactCardData(text);
      expect(r.text).toBe(text);
      expect(r.cardNumbers).toBe(0);
    });
  });

  it('counts every card number in a message', () => {
    expect(redactCardData('4111111111111111 and 5555 5555 5555 4444').cardNumbers).toBe(2);
  });
});

describe('luhnValid', () => {
  it('accepts the test numbers and refuses a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});
