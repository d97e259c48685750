import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import { connection } from 'next/server';
import './globals.css';

export const metadata: Metadata = {
  title: 'Drop',
  description: 'Send money to friends in a tap',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, so that Next can put this response's CSP nonce (src/proxy.ts) on its
  // scripts; a page prerendered at build time would carry none and its scripts would be blocked.
  await connection();
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            Drop
          </Link>
        </header>
        <main className="container">{children}</main>
      </body>
    </html>
  );
}
