import { join } from 'node:path';
import { WebchatAvailabilityService } from '../src/channels/webchat/webchat-availability.service';
import { WebchatOpeningTimes } from '../src/channels/webchat/webchat-opening-times.service';
import { CouncilConfig } from '../src/config/council-config';
import { DepartmentsService } from '../src/departments/departments.service';
import { OpeningHours } from '../src/departments/opening-hours';
import { RealtimeService } from '../src/realtime/realtime.service';

/** The shipped hours: weekdays 09:00-17:00; adult social care 08:30-17:30 (17:00 on Fridays); bank holidays closed. */
const CONFIG = join(__dirname, '../config');
const hours = OpeningHours.load(CONFIG, CouncilConfig.load(CONFIG));
const DEPARTMENTS = [
  { id: 'dep-waste', slug: 'waste' },
  { id: 'dep-asc', slug: 'adult-social-care' },
  { id: 'dep-housing', slug: 'housing' },
];

describe('Web chat: status pushed when opening hours start or end', () => {
  let pushes: Array<{ at: string; rooms: string[]; event: string; payload: any }>;
  let sut: WebchatOpeningTimes;

  beforeEach(async () => {
    jest.useFakeTimers({ now: new Date('2026-11-27T08:00:00Z') }); // Friday 08:00 in London (GMT)
    pushes = [];
    const departments = { list: async () => DEPARTMENTS } as unknown as DepartmentsService;
    const availability = {
      status: async (id: string) => {
        const open = hours.isOpen(DEPARTMENTS.find((d) => d.id === id)!.slug);
        return { open, message: open ? 'We are here to help.' : 'We are closed now.' };
      },
    } as unknown as WebchatAvailabilityService;
    const realtime = {
      anyoneListening: () => true,
      emitLocal: (_ns: string, rooms: string[], event: string, payload: unknown) => pushes.push({ at: new Date().toISOString(), rooms, event, payload }),
    } as unknown as RealtimeService;
    sut = new WebchatOpeningTimes(hours, departments, availability, realtime);
    await sut.onApplicationBootstrap();
  });

  afterEach(() => {
    sut.onApplicationShutdown();
    jest.useRealTimers();
  });

  const summary = () => pushes.map((p) => `${p.at.slice(11, 16)} ${p.rooms.join(',')} ${p.event} ${p.payload.open}`);

  it('pushes once per department room as it opens and closes, and nothing in between', async () => {
    expect(pushes).toEqual([]); // the first look only learns the state
    await jest.advanceTimersByTimeAsync(29 * 60_000);
    expect(pushes).toEqual([]);
    await jest.advanceTimersByTimeAsync(10 * 3_600_000); // to 18:29
    expect(summary()).toEqual([
      '08:30 department:dep-asc status true',
      '09:00 department:dep-waste status true',
      '09:00 department:dep-housing status true',
      '17:00 department:dep-waste status false',
      '17:00 department:dep-asc status false', // Fridays: 17:00
      '17:00 department:dep-housing status false',
    ]);
  });

  it('stays quiet over a weekend and speaks again on Monday morning', async () => {
    await jest.advanceTimersByTimeAsync(10 * 3_600_000); // Friday 18:00
    pushes.length = 0;
    await jest.advanceTimersByTimeAsync(62 * 3_600_000); // Monday 08:00
    expect(pushes).toEqual([]);
    await jest.advanceTimersByTimeAsync(3_600_000 + 1_000);
    expect(summary()).toEqual(['08:30 department:dep-asc status true', '09:00 department:dep-waste status true', '09:00 department:dep-housing status true']);
  });
});
