'use client';

import { useCallback, useEffect, useState } from 'react';

const storageKey = (name: string) => `drop.draft.${name}`;

/**
 * A form's fields, kept in sessionStorage (this tab only, gone when it closes) as they are typed: when the session
 * expires and the page sends its user to sign in, the form comes back filled in. Restored after the first render,
 * so the server's HTML and the browser's first render agree.
 */
export function useDraft<T extends Record<string, string>>(name: string, empty: T): [T, (patch: Partial<T>) => void, () => void] {
  const [fields, setFields] = useState<T>(empty);
  useEffect(() => {
    try {
      const saved = window.sessionStorage.getItem(storageKey(name));
      if (saved) {
        const parsed = JSON.parse(saved) as Partial<T>;
        // Only the fields this form has, and only strings: the storage is the page's own but may be from an older version.
        const restored = Object.fromEntries(
          Object.keys(empty).map((key) => [key, typeof parsed[key] === 'string' ? parsed[key] : empty[key]]),
        ) as T;
        // eslint-disable-next-line react-hooks/set-state-in-effect -- restoring once, after hydration, is the point
        setFields(restored);
      }
    } catch {
      // Storage refused (private mode) or unreadable: start empty.
    }
    // `empty` is a literal of the caller's: only the name decides which draft this is.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name]);
  const update = useCallback(
    (patch: Partial<T>) =>
      setFields((current) => {
        const next = { ...current, ...patch };
        try {
          window.sessionStorage.setItem(storageKey(name), JSON.stringify(next));
        } catch {
          // Not kept: the form still works.
        }
        return next;
      }),
    [name],
  );
  const clear = useCallback(() => {
    try {
      window.sessionStorage.removeItem(storageKey(name));
    } catch {
      // Nothing to clear.
    }
    setFields(empty);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name]);
  return [fields, update, clear];
}
