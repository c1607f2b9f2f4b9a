import { USER_ROLES, type UserRole } from '@mq/messaging-contracts';
import roster from './demo-school.roster.json';

/**
 * `console`: signs in to the console; `staff` and `parent`: chat users; `leaver`: a parent whose
 * account the office deactivates during the seeding (the cause of the demo's failed delivery).
 */
export type DemoPersonKind = 'console' | 'staff' | 'parent' | 'leaver';

export interface DemoPerson {
  key: string;
  email: string;
  displayName: string;
  role: UserRole;
  kind: DemoPersonKind;
}

const KINDS: readonly DemoPersonKind[] = ['console', 'staff', 'parent', 'leaver'];

/** The JSON is also read by start.mjs and the e2e stack host, so it is checked here rather than trusted. */
function checked(people: readonly Record<string, string>[]): DemoPerson[] {
  return people.map((person) => {
    if (!USER_ROLES.includes(person['role'] as UserRole) || !KINDS.includes(person['kind'] as DemoPersonKind)) {
      throw new Error(`demo-school.roster.json: ${person['key']} has an unknown role or kind`);
    }
    return person as unknown as DemoPerson;
  });
}

/** Every demo user signs in with this one password: it is printed by `npm start` and is no secret. */
export const DEMO_PASSWORD: string = roster.password;

export const DEMO_PEOPLE: readonly DemoPerson[] = checked(roster.users);

export type DemoKey = 'office' | 'it' | 'nurse' | 'teacher' | 'priya' | 'daniel' | 'mei' | 'jonas' | 'sam';

export function demoPerson(key: DemoKey): DemoPerson {
  const person = DEMO_PEOPLE.find((p) => p.key === key);
  if (!person) throw new Error(`demo-school.roster.json has no "${key}"`);
  return person;
}
