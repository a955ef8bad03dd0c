import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';

/** `$XDG_STATE_HOME/promptbatch`, else `~/.local/state/promptbatch`. */
export function defaultStateDir(env: Environment): string {
	return env.XDG_STATE_HOME
		? join(env.XDG_STATE_HOME, 'promptbatch')
		: join(env.HOME || homedir(), '.local', 'state', 'promptbatch');
}

/**
 * The journal of a `--batch` run without `-o`: named by a hash of everything the run sends
 * (`key`), so that the same command run again, after a kill or with `--no-wait`, finds its
 * batches instead of paying for them again. The directory is the owner's alone.
 */
export function runStatePath(env: Environment, key: string): string {
	const dir = defaultStateDir(env);
	try {
		mkdirSync(dir, { recursive: true, mode: 0o700 });
	} catch (error) {
		throw new UsageError(
			`cannot use the state directory ${dir}: ${(error as Error).message}`,
			'set XDG_STATE_HOME to a writable directory, or give -o FILE',
		);
	}
	return join(dir, `batch-${key.slice(0, 32)}.journal`);
}
