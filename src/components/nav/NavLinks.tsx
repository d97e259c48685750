'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

export interface NavLink {
  href: string;
  label: string;
}

/** The top bar's links; the one for the page being shown is marked current. */
export function NavLinks({ links, label }: { links: NavLink[]; label: string }) {
  const pathname = usePathname();
  const isCurrent = (href: string) => (href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`));
  return (
    <nav aria-label={label} className="nav">
      {links.map((link) => (
        <Link key={link.href} href={link.href} className="navLink" aria-current={isCurrent(link.href) ? 'page' : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}
