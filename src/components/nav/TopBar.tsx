import Link from 'next/link';
import { currentUser } from '@/server/current-user';
import { SignOutButton } from '@/components/SignOutButton';
import { NavLinks, type NavLink } from './NavLinks';

const USER_LINKS: NavLink[] = [
  { href: '/', label: 'Home' },
  { href: '/qr', label: 'Get paid' },
  { href: '/pay', label: 'Pay' },
  { href: '/kyc', label: 'Identity' },
  { href: '/sessions', label: 'Security' },
];

const ADMIN_LINKS: NavLink[] = [
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/debug', label: 'Monitoring' },
];

/** The brand and, when signed in, who it is with Sign out, and every page of the app (for admins, the operators' pages too). */
export async function TopBar() {
  const user = await currentUser();
  return (
    <header className="topbar">
      <Link href="/" className="brand">
        Drop
      </Link>
      {user ? (
        <>
          <span className="account">
            <span className="accountName" title={user.email}>
              {user.name}
            </span>
            <SignOutButton />
          </span>
          <div className="navGroups">
            <NavLinks links={USER_LINKS} label="Main" />
            {user.role === 'admin' ? <NavLinks links={ADMIN_LINKS} label="Admin" /> : null}
          </div>
        </>
      ) : null}
    </header>
  );
}
