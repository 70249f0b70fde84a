import { mentions } from './console.service';

describe('note @mentions', () => {
  it('finds a full name or an email name after @, case-insensitive, as whole words', () => {
    expect(mentions('Can you check, @Bob Builder?', 'Bob Builder')).toBe(true);
    expect(mentions('@bob  builder please', 'Bob Builder')).toBe(true);
    expect(mentions('cc @jo.bloggs.', 'jo.bloggs')).toBe(true);
  });

  it('ignores other words, e-mail addresses and longer names', () => {
    expect(mentions('Bob Builder, please', 'Bob Builder')).toBe(false);
    expect(mentions('write to bob@council.gov.uk', 'council')).toBe(false);
    expect(mentions('@Bobby Builder', 'Bob')).toBe(false);
    expect(mentions('@jo.bloggs-smith', 'jo.bloggs')).toBe(false);
  });
});
