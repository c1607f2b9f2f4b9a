import type { Metadata } from 'next';
import { LoginForm } from '../../components/login-form';
import { safeNextPath } from '../../lib/navigation';

export const metadata: Metadata = { title: 'Sign in' };

interface LoginPageProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function LoginPage({ searchParams }: LoginPageProps) {
  const { next } = await searchParams;
  const nextPath = safeNextPath(typeof next === 'string' ? next : undefined);
  return (
    <main className="login-page">
      <div className="login-card">
        <p className="product-name">Message pipeline console</p>
        <h1>Sign in</h1>
        <p className="muted">Operators only: sign in with your admin account.</p>
        <LoginForm nextPath={nextPath} />
      </div>
    </main>
  );
}
