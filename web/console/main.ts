import { bootStaffPage } from './staff-session';
import { ConsoleApp } from './app';

bootStaffPage((app, bar, council) => new ConsoleApp(app, bar, council).start());
