'use client';

import { useState } from 'react';

/** Copies a link to the clipboard and says so; where the clipboard is refused, it says to copy the field by hand. */
export function CopyLinkButton({ link }: { link: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <span className="copyAction">
      <button type="button" className="secondary" onClick={copy}>
        {state === 'copied' ? 'Copied' : 'Copy link'}
      </button>
      <span role="status" className={state === 'failed' ? 'error small' : 'muted small'}>
        {state === 'copied'
          ? 'The link is on your clipboard.'
          : state === 'failed'
            ? 'Copying was refused: select the link and copy it.'
            : ''}
      </span>
    </span>
  );
}
