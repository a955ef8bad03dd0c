import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/promptbatch.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A key that must never show up in anything we print or write. */
export const SECRET_KEY = 'sk-test-Zq8x4Lr2SECRETKEYvalue0001';

export interface CliResult {
	readonly code: number | null;
	readonly signal: NodeJS.Signals | null;
	readonly stdout: string;
	readonly stderr: string;
}

export interface CliOptions {
	/** Written to stdin, which is then closed. Default: empty. */
	readonly input?: string | Buffer;
	/**
	 * Added to a clean environment: PATH and HOME, OPENAI_API_KEY=SECRET_KEY, and the cache and
	 * state directories in a temporary directory of the test process's (not the user's home).
	 */
	readonly env?: Record<string, string | undefined>;
	readonly cwd?: string;
	/** Called once the process is running, e.g. to signal it. */
	readonly onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/** Runs the built CLI as a user would: real process, real pipes. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
	const env: Record<string, string> = {
		PATH: process.env.PATH ?? '',
		...homeEnv(),
		OPENAI_API_KEY: SECRET_KEY,
	};
	for (const [name, value] of Object.entries(options.env ?? {})) {
		if (value === undefined) delete env[name];
		else env[name] = value;
	}
	const child = spawn(process.execPath, [BIN, ...args], {
		cwd: options.cwd ?? tempDir(),
		env,
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	child.stdin.on('error', () => {});
	child.stdin.end(options.input ?? '');
	options.onSpawn?.(child);
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
	});
}

let home: string | undefined;

/**
 * HOME, with the cache and state directories (the price memo, --cache, batch state) in one
 * temporary directory a test process: tests write nothing into the user's home.
 */
export function homeEnv(): { HOME: string; XDG_CACHE_HOME: string; XDG_STATE_HOME: string } {
	home ??= tempDir();
	return {
		HOME: process.env.HOME ?? '',
		XDG_CACHE_HOME: join(home, 'cache'),
		XDG_STATE_HOME: join(home, 'state'),
	};
}

export function tempDir(): string {
	return mkdtempSync(join(tmpdir(), 'promptbatch-test-'));
}

/** Writes `files` (name → content) into a fresh directory and returns its path. */
export function withFiles(files: Record<string, string>): string {
	const dir = tempDir();
	for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
	return dir;
}

export function jsonLines(text: string): Record<string, unknown>[] {
	return text
		.split('\n')
		.filter((line) => line !== '')
		.map((line) => JSON.parse(line));
}

export function prompts(count: number, make = (i: number) => `prompt ${i}`): string {
	return `${Array.from({ length: count }, (_, i) => make(i + 1)).join('\n')}\n`;
}

/**
 * Runs `sql` on the response cache in `dir` (its database, as a run leaves it) and returns the
 * rows: how tests read, age and damage entries.
 */
export function cacheSql(dir: string, sql: string, ...params: (string | number)[]): unknown[] {
	const db = new DatabaseSync(join(dir, 'answers.sqlite'));
	try {
		const statement = db.prepare(sql);
		return /^\s*select/i.test(sql) ? statement.all(...params) : [statement.run(...params)];
	} finally {
		db.close();
	}
}

/** NODE_OPTIONS that report on stderr ("LOADED url") each module matching `pattern` as it loads. */
export function reportLoads(pattern: RegExp): string {
	const hook = `import { registerHooks } from 'node:module';
registerHooks({ load(url, context, next) {
	if (${pattern}.test(url)) process.stderr.write('LOADED ' + url + '\\n');
	return next(url, context);
} });`;
	return `--import=data:text/javascript,${encodeURIComponent(hook)}`;
}
