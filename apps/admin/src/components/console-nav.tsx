'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { BULL_BOARD_PATH } from '../lib/endpoints';

export const NAV_LINKS = [
  { href: '/', label: 'Dashboard' },
  { href: '/failed-deliveries', label: 'Failed deliveries' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/broadcast', label: 'Broadcast' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/users', label: 'Users' },
  { href: '/audit', label: 'Audit' },
  { href: '/ledger', label: 'Access ledger' },
] as const;

function isCurrent(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

export function ConsoleNav() {
  const pathname = usePathname() ?? '/';
  return (
    <nav className="console-nav" aria-label="Main">
      <ul>
        {NAV_LINKS.map((link) => (
          <li key={link.href}>
            <Link href={link.href} aria-current={isCurrent(pathname, link.href) ? 'page' : undefined}>
              {link.label}
            </Link>
          </li>
        ))}
        <li>
          {/* The product as a staff member or a family sees it: its own sign-in, in its own tab. */}
          <a href="/chat" target="_blank" rel="noopener noreferrer">
            Chat<span className="visually-hidden"> (opens in a new tab)</span>
            <span aria-hidden="true"> ↗</span>
          </a>
        </li>
        <li>
          {/* Served by the api (proxied); a full page load in its own tab, not a client route. */}
          <a href={BULL_BOARD_PATH} target="_blank" rel="noopener noreferrer">
            Bull Board<span className="visually-hidden"> (opens in a new tab)</span>
            <span aria-hidden="true"> ↗</span>
          </a>
        </li>
      </ul>
    </nav>
  );
}
