import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import './globals.css';

export const metadata: Metadata = {
  title: 'Drop',
  description: 'Send money to friends in a tap',
};

export default function RootLayout({ children }: { children: ReactNode }) {
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
