import { smsSegments } from '../src/channels/twilio/sms-segments';

describe(smsSegments.name, () => {
  it('counts plain GSM-7 text: 160 in one part, 153 per part beyond', () => {
    expect(smsSegments('')).toMatchObject({ encoding: 'GSM-7', segments: 0, remaining: 160 });
    expect(smsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', characters: 160, units: 160, segments: 1, remaining: 0 });
    expect(smsSegments('a'.repeat(161))).toMatchObject({ segments: 2, remaining: 306 - 161 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ segments: 2, remaining: 0 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
  });

  it('keeps £ and accented letters of the GSM-7 alphabet in GSM-7', () => {
    expect(smsSegments('Council tax: £120 due. Café è é')).toMatchObject({ encoding: 'GSM-7', nonGsm: [] });
  });

  it('counts extension characters such as € and [ ] twice', () => {
    expect(smsSegments('€')).toMatchObject({ encoding: 'GSM-7', characters: 1, units: 2 });
    expect(smsSegments('€'.repeat(80))).toMatchObject({ units: 160, segments: 1 });
    expect(smsSegments('€'.repeat(80) + 'a')).toMatchObject({ units: 161, segments: 2 });
  });

  it('switches the whole message to UCS-2 for one character outside GSM-7 and names it', () => {
    expect(smsSegments('Thanks — see you')).toMatchObject({ encoding: 'UCS-2', segments: 1, remaining: 70 - 16, nonGsm: ['—'] });
    expect(smsSegments('’'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1, remaining: 0 });
    expect(smsSegments('’'.repeat(71))).toMatchObject({ segments: 2, remaining: 134 - 71 });
  });

  it('counts an emoji as two UCS-2 units but one character', () => {
    expect(smsSegments('🙂')).toMatchObject({ encoding: 'UCS-2', characters: 1, units: 2, nonGsm: ['🙂'] });
  });
});
