import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { connection } from 'next/server';
import { TopBar } from '@/components/nav/TopBar';
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
        <TopBar />
        <main className="container">{children}</main>
      </body>
    </html>
  );
}
