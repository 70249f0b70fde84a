import { AgentRole, Channel } from '../common/enum';

/**
 * The demo council `npm run hub -- seed` creates: staff over the departments of config/catalogue.yaml, an API
 * inbox and a web chat inbox (for the /demo page). DEMO DATA ONLY. The passwords below are published demo strings, printed by the seed on purpose: they
 * are not secrets, and a hub holding real residents' data must never have these accounts (the seed refuses to
 * run with NODE_ENV=production).
 *
 * The catalogue itself (departments, services and their LGSL ids) is config/catalogue.yaml. Its LGSL ids should
 * be checked against the council's own Local Links Manager export (links_to_services_provided_by_local_authorities.csv)
 * before go-live: GOV.UK, for example, files "Pay your Council Tax" under LGSL 57 and "Find out your rubbish
 * collection day" under LGSL 524.
 */
export const DEMO_EMAIL_DOMAIN = 'demo-council.example';

export interface DemoStaffMember {
  email: string;
  name: string;
  role: AgentRole;
  /** Department slugs of config/catalogue.yaml. */
  departments: string[];
  password: string;
}

const PASSWORD: Record<AgentRole, string> = {
  [AgentRole.Admin]: 'demo-admin-password',
  [AgentRole.Supervisor]: 'demo-supervisor-password',
  [AgentRole.Agent]: 'demo-agent-password',
};

function member(local: string, name: string, role: AgentRole, departments: string[]): DemoStaffMember {
  return { email: `${local}@${DEMO_EMAIL_DOMAIN}`, name, role, departments, password: PASSWORD[role] };
}

/** One admin, two supervisors, six agents; every department has two agents and a supervisor. */
export const DEMO_STAFF: readonly DemoStaffMember[] = [
  member('admin', 'Alex Morgan', AgentRole.Admin, []),
  member('supervisor1', 'Priya Shah', AgentRole.Supervisor, ['waste', 'highways', 'customer-services']),
  member('supervisor2', 'Gareth Evans', AgentRole.Supervisor, ['council-tax', 'housing', 'adult-social-care']),
  member('agent1', 'Sam Taylor', AgentRole.Agent, ['waste', 'customer-services']),
  member('agent2', 'Nia Roberts', AgentRole.Agent, ['waste', 'highways']),
  member('agent3', 'Tom Okafor', AgentRole.Agent, ['council-tax', 'customer-services']),
  member('agent4', 'Chloe Hughes', AgentRole.Agent, ['council-tax', 'housing']),
  member('agent5', 'Imran Hussain', AgentRole.Agent, ['housing', 'adult-social-care']),
  member('agent6', 'Jess Campbell', AgentRole.Agent, ['adult-social-care', 'highways']),
];

/** Its token is rotated and printed on every seed (only a hash is stored, so it cannot be shown again). */
export const DEMO_INBOX = { channel: Channel.Api, name: 'Demo API', department: 'customer-services' } as const;

/** The chat on /demo; like the API inbox's, its token is rotated and printed (in the /demo URL) on every seed. */
export const DEMO_WEBCHAT_INBOX = { channel: Channel.Webchat, name: 'Demo web chat', department: 'customer-services' } as const;
