import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../core/errors.ts';

interface Owner {
	readonly pid: number;
	readonly host: string;
	/** When the process started (Linux: clock ticks since boot), so a reused pid is no owner. */
	readonly started?: string | undefined;
}

/** A breaker older than this was left by a process that died while taking a stale lock over. */
const STALE_BREAKER_MS = 10_000;

/**
 * Takes `output`.lock so that two runs never write the same output. The lock names its owner's
 * pid, host and start time; one whose process is gone (killed, even by SIGKILL), or whose pid
 * now belongs to another process (a restarted container's pid 1), is taken over. Taking over is
 * done under a second lock, `output`.lock.break, so that of two runs that find the same stale
 * lock, one wins. Returns the release function.
 */
export function acquireLock(output: string): () => void {
	const path = `${output}.lock`;
	const me: Owner = { pid: process.pid, host: hostname(), started: startTime(process.pid) };
	const temp = `${path}.${process.pid}.tmp`;
	try {
		writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
	} catch (error) {
		throw new UsageError(
			`cannot write ${output}: ${(error as Error).message}`,
			'check that its directory exists and is writable',
		);
	}
	try {
		// link(2) creates the lock with its content in one step, or fails if it exists.
		if (tryLink(temp, path)) return () => release(path, me);
		const breaker = `${path}.break`;
		// Another run is taking the stale lock over right now: it wins.
		if (!tryLink(temp, breaker)) {
			if (!isStale(breaker)) throw inUse(output, path, undefined);
			unlinkSync(breaker);
			if (!tryLink(temp, breaker)) throw inUse(output, path, undefined);
		}
		try {
			const owner = readOwner(path);
			if (owner && isAlive(owner, me)) throw inUse(output, path, owner);
			unlinkSync(path);
			if (!tryLink(temp, path)) throw inUse(output, path, readOwner(path));
			return () => release(path, me);
		} finally {
			unlinkSync(breaker);
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

function tryLink(from: string, to: string): boolean {
	try {
		linkSync(from, to);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw error;
	}
}

function inUse(output: string, path: string, owner: Owner | undefined): UsageError {
	const who = owner
		? ` (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`})`
		: '';
	return new UsageError(
		`${output} is in use by another promptbatch run${who}`,
		`wait for it to finish or stop it; if it is gone, remove ${path}`,
	);
}

function isStale(breaker: string): boolean {
	try {
		return Date.now() - statSync(breaker).mtimeMs > STALE_BREAKER_MS;
	} catch {
		return true;
	}
}

function readOwner(path: string): Owner | undefined {
	try {
		return JSON.parse(readFileSync(path, 'utf8')) as Owner;
	} catch {
		return undefined;
	}
}

/**
 * Whether the lock's owner still runs. On another host nobody can tell, so it does. A process
 * that started at another time than the owner is not it, though it has its pid: our own pid
 * after a container restart (pid 1 again), or any reused one.
 */
function isAlive(owner: Owner, me: Owner): boolean {
	if (owner.host !== me.host) return true;
	if (owner.pid === me.pid) return owner.started !== undefined && owner.started === me.started;
	try {
		process.kill(owner.pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	const started = startTime(owner.pid);
	return owner.started === undefined || started === undefined || started === owner.started;
}

/** A process's start time from /proc (Linux), or undefined where there is none. */
function startTime(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// Field 22; the command name (field 2) may hold spaces, so count from its closing paren.
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function release(path: string, me: Owner): void {
	const owner = readOwner(path);
	if (owner?.pid === me.pid && owner.host === me.host) unlinkSync(path);
}
