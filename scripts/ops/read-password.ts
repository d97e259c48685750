/**
 * A password for an operator command, never from its arguments (they stay in shell history and `ps`): one line
 * from stdin when it is a pipe or a file (`docker compose exec -T app … < file`), or typed twice at a no-echo
 * prompt when stdin is a terminal.
 */

/** Longest input read from a pipe: a password line, not a file someone redirected by mistake. */
const MAX_PIPED_BYTES = 4096;

export class PasswordInputError extends Error {}

export async function readPassword(prompt: string): Promise<string> {
  if (process.stdin.isTTY) {
    // Raw mode (no echo) before the first prompt is shown and until the second answer is in: nothing typed in
    // between is ever echoed.
    process.stdin.setRawMode(true);
    try {
      const first = await promptHidden(`${prompt}: `);
      const second = await promptHidden(`${prompt} (again): `);
      if (first !== second) throw new PasswordInputError('the two passwords differ');
      return first;
    } finally {
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
  }
  return readFirstLine();
}

/** The first line of stdin (without its line break); the rest, if any, must be blank. */
async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_PIPED_BYTES) throw new PasswordInputError(`stdin holds more than ${MAX_PIPED_BYTES} bytes: give one line, the password`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') throw new PasswordInputError('no password on stdin: pipe one line (… < password-file) or run it on a terminal');
  const [first = '', ...rest] = text.split('\n');
  if (rest.some((line) => line.trim() !== '')) throw new PasswordInputError('stdin holds more than one line: give one line, the password');
  return first.replace(/\r$/, '');
}

/** Reads one line from the terminal (in raw mode: nothing typed is echoed). Ctrl-C or Ctrl-D cancels. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer) => {
      const chars = Array.from(chunk.toString('utf8'));
      for (const [index, char] of chars.entries()) {
        if (char === '\r' || char === '\n') {
          finish();
          // Typed ahead (a paste of both answers): left for the next prompt.
          const rest = chars
            .slice(index + 1)
            .join('')
            .replace(char === '\r' ? /^\n/ : /^$/, '');
          if (rest) stdin.unshift(Buffer.from(rest, 'utf8'));
          resolve(value);
          return;
        }
        if (char === '\u0003' || char === '\u0004') {
          finish();
          reject(new PasswordInputError('cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
