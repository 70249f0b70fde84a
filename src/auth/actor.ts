import { AgentRole } from '../common/enum';

/**
 * The signed-in staff member a request or socket acts as. Built fresh from the database on every verify, so a
 * role or department change (or a deactivation) takes effect at once.
 *
 * In decorated signatures (`@CurrentAgent() actor: Actor`) import it with `import type { Actor }`:
 * isolatedModules and emitDecoratorMetadata require that for interfaces.
 */
export interface Actor {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  departmentIds: string[];
}
