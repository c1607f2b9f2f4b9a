export type UserRole = 'user' | 'admin';

/** `GET /me` and the `user` of `POST /auth/login` (see shared/CONTRACT.md, Auth). */
export interface ConsoleUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
}

export interface LoginResponse {
  accessToken: string;
  user: ConsoleUser;
}
