import { bootStaffPage } from '../console/staff-session';
import { SupervisorApp } from './app';

bootStaffPage((app, bar, council) => new SupervisorApp(app, bar, council).start());
