/**
 * `user` and `admin` from the start; `operator` is the read-only console role added later.
 * Frozen so the server can validate against the same list the types come from.
 */
export const USER_ROLES = Object.freeze(['user', 'admin', 'operator'] as const);
export type UserRole = (typeof USER_ROLES)[number];

/** `POST /auth/login` */
export interface LoginRequest {
  email: string;
  password: string;
}

/** The user as embedded in a login answer. */
export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
}

/** `POST /auth/login` -> 200 */
export interface LoginResponse {
  accessToken: string;
  user: PublicUser;
}

/** The full user: `GET /me`, `POST /users`, `PATCH /users/:id`. Never a password hash. */
export interface User extends PublicUser {
  phone: string | null;
  active: boolean;
  createdAt: string;
}

/** `POST /users` (admin) -> 201 User; 409 if the email exists. */
export interface CreateUserRequest {
  email: string;
  password: string;
  displayName: string;
  role?: UserRole;
  phone?: string;
}

/**
 * `POST /users/:id/password-reset` (admin) -> 201: a new random password, shown this once and
 * stored only as a hash; every session the user had is ended.
 */
export interface PasswordResetResponse {
  userId: string;
  password: string;
}

/** `PATCH /users/:id` (admin) -> 200 User. An inactive user cannot log in and is not sent to. */
export interface UpdateUserRequest {
  displayName?: string;
  role?: UserRole;
  /** `null` clears the number. */
  phone?: string | null;
  email?: string;
  active?: boolean;
}
