/** What the stack host (src/support/stack-host.ts) tells the test run, and how tests drive it. */

export interface StackInfo {
  /** The console (`next start`), pointed at the api at run time. */
  consoleUrl: string;
  /** The api, directly (tests set data up through it, as an api client would). */
  apiUrl: string;
  /** The stack's own Postgres database (for bulk inserts a test needs, as the system tests do). */
  databaseUrl: string;
  /** The host's control endpoint: stop and start the worker. */
  controlUrl: string;
  admin: { email: string; password: string };
}

/** A person of the demo school, as apps/api/src/app/demo/demo-school.roster.json lists them. */
export interface DemoPerson {
  key: string;
  email: string;
  displayName: string;
  role: 'user' | 'admin' | 'operator';
  /** `console`: signs in to the console; `staff` and `parent`: chat users; `leaver`: deactivated while seeding. */
  kind: 'console' | 'staff' | 'parent' | 'leaver';
}

/**
 * A second system the host starts on `POST /first-run` (and stops on `DELETE /first-run`): what
 * `npm start` gives on an empty database, DEMO_DATA on, with its own console.
 */
export interface FirstRunInfo {
  consoleUrl: string;
  apiUrl: string;
  databaseUrl: string;
  /** The logins the api seeded, read from the same roster it seeds from. */
  demo: { password: string; users: DemoPerson[] };
}

/** The host prints this, then the JSON, on one stdout line once everything answers. */
export const READY_PREFIX = 'E2E_STACK_READY ';

/** The environment variable the global setup passes the StackInfo to the test workers in. */
export const STACK_ENV = 'E2E_STACK';
