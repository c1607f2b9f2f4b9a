import type { Metadata, Viewport } from 'next';
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

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
