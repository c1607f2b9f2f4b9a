import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import './global.css';
import { Providers } from './providers';

export const metadata: Metadata = {
  title: {
    default: 'Message pipeline console',
    template: '%s · Message pipeline console',
  },
  description: 'Operator console for the message pipeline: queue health, failures and broadcasts.',
  robots: { index: false, follow: false },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  colorScheme: 'light',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, never prerendered: Next puts the CSP nonce of src/proxy.ts on its
  // scripts while rendering, and a page built ahead of time would carry none.
  await connection();
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
