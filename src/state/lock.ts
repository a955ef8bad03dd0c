import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../core/errors.ts';

interface Owner {
	readonly pid: number;
	readonly host: string;
}

/**
 * Takes `output`.lock so that two runs never write the same output. The lock names its owner's
 * pid and host; one whose process is gone (killed, even by SIGKILL) is taken over. Returns the
 * release function.
 */
export function acquireLock(output: string): () => void {
	const path = `${output}.lock`;
	const me: Owner = { pid: process.pid, host: hostname() };
	const temp = `${path}.${process.pid}.tmp`;
	try {
		writeFileSync(temp, JSON.stringify(me));
	} catch (error) {
		throw new UsageError(
			`cannot write ${output}: ${(error as Error).message}`,
			'check that its directory exists and is writable',
		);
	}
	try {
		for (let attempt = 0; ; attempt++) {
			try {
				// link(2) creates the lock with its content in one step, or fails if it exists.
				linkSync(temp, path);
				return () => release(path, me);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
			}
			const owner = readOwner(path);
			if (owner && (owner.host !== me.host || alive(owner.pid))) {
				throw new UsageError(
					`${output} is in use by another promptbatch run (pid ${owner.pid}${owner.host === me.host ? '' : ` on ${owner.host}`})`,
					`wait for it to finish or stop it; if it is gone, remove ${path}`,
				);
			}
			unlinkSync(path);
		}
	} catch (error) {
		if (error instanceof UsageError) throw error;
		throw new UsageError(
			`cannot lock ${output}: ${(error as Error).message}`,
			'check that its directory is writable',
		);
	} finally {
		unlinkSync(temp);
	}
}

function readOwner(path: string): Owner | undefined {
	try {
		return JSON.parse(readFileSync(path, 'utf8')) as Owner;
	} catch {
		return undefined;
	}
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function release(path: string, me: Owner): void {
	const owner = readOwner(path);
	if (owner?.pid === me.pid && owner.host === me.host) unlinkSync(path);
}
