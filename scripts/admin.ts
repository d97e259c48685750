// Creates a deploy's admin, or promotes an existing user, inside the running stack (docs/DEPLOYMENT.md):
//   docker compose exec -T app node scripts/dist/admin.mjs create --email ada@example.com --name "Ada" < password-file
//   docker compose exec app node scripts/dist/admin.mjs promote --email bob@example.com
// (npm run admin -- … in a checkout). The password of `create` is one line on stdin, or typed twice at a no-echo
// prompt on a terminal; never an argument. The database is migrated first; the change and its audit entry
// (admin_created, admin_promoted) commit together.
// Exit 0: done (also: already an admin). Exit 1: refused (the email is taken; no user has it). Exit 2: could not
// run (bad arguments or input, a password on the command line, no database).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { logToStderr } from '@otel';
import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { migrateToLatest } from '../src/server/db/migrate';
import { createAdmin, promoteToAdmin, type OperatorCommand } from '../src/server/domain/admins';
import { DomainError } from '../src/server/domain/errors';
import { registerBody } from '../src/server/http/schemas';
import { PasswordInputError, readPassword } from './ops/read-password';

const USAGE = [
  'usage: admin create --email EMAIL --name NAME   (the password: one line on stdin, or the prompt on a terminal)',
  '       admin promote --email EMAIL',
].join('\n');

class UsageError extends Error {}

const ORIGIN: OperatorCommand = { ip: null, userAgent: null, command: 'admin' };

function parse(argv: string[]) {
  // Refused before anything else, with the reason: a password given as an argument is already in the shell's
  // history and visible to every user of the machine in `ps`.
  if (argv.some((arg) => /^(--password|--pass|-p)(=|$)/.test(arg))) {
    throw new UsageError(
      'the password is never taken from the command line (shell history, ps): pipe it on stdin (… < password-file) or type it at the prompt',
    );
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { email: { type: 'string' }, name: { type: 'string' } } });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command] = positionals;
  if (positionals.length !== 1 || (command !== 'create' && command !== 'promote')) throw new UsageError(USAGE);
  if (values.email === undefined) throw new UsageError(`--email is required\n${USAGE}`);
  if (command === 'promote' && values.name !== undefined) throw new UsageError(`promote takes no --name\n${USAGE}`);
  if (command === 'create' && values.name === undefined) throw new UsageError(`--name is required\n${USAGE}`);
  return { command, email: values.email, name: values.name };
}

/** The registration rules of the app (src/server/http/schemas.ts), as one line naming each bad field. */
function check<T>(field: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${field}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
}

async function main(): Promise<number> {
  logToStderr();
  const args = parse(process.argv.slice(2));
  const email = check('--email', registerBody.shape.email, args.email.trim());
  const name = args.command === 'create' ? check('--name', registerBody.shape.name, args.name) : undefined;

  const config = parseDatabaseUrl(process.env.DATABASE_URL);
  // The password is read before the database is opened: a bad one changes nothing anywhere.
  const password =
    args.command === 'create' ? check('password', registerBody.shape.password, await readPassword(`Password for ${email}`)) : undefined;
  const handle = openDatabase(config);
  try {
    process.stderr.write(`[admin] ${describeDatabase(config)}\n`);
    await migrateToLatest(handle.db, handle.dialect);
    if (password !== undefined && name !== undefined) {
      const user = await createAdmin(handle, { email, name, password }, ORIGIN);
      process.stdout.write(`admin created: ${user.email} (user ${user.id})\n`);
      return 0;
    }
    const { user, promoted } = await promoteToAdmin(handle, email, ORIGIN);
    process.stdout.write(
      promoted ? `promoted to admin: ${user.email} (user ${user.id})\n` : `already an admin: ${user.email} (user ${user.id})\n`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DomainError && (error.code === 'email_taken' || error.code === 'user_not_found')) {
      const hint = error.code === 'email_taken' ? ' (to make that user an admin: admin promote --email …)' : '';
      process.stderr.write(`admin refused: ${error.message}${hint}\n`);
      process.exit(1);
    }
    const message = error instanceof Error ? error.message : String(error);
    const kind = error instanceof UsageError || error instanceof PasswordInputError ? 'admin' : 'admin could not run';
    process.stderr.write(`${kind}: ${message}\n`);
    process.exit(2);
  },
);
