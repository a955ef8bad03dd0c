import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import {
	type Connection,
	defaultModel,
	type Environment,
	redactor,
	resolveConnection,
} from './config.ts';
import { UsageError } from './errors.ts';
import { preflight } from './input/preflight.ts';
import type { InputFormat, PromptRecord } from './input/records.ts';
import { readRecords, STDIN } from './input/sources.ts';
import { JournalWriter, journalPath, readJournal } from './output/journal.ts';
import { checkResume, checkResumeLength, Ledger } from './output/ledger.ts';
import { acquireLock } from './output/lock.ts';
import { Reporter } from './output/progress.ts';
import {
	type Destination,
	fileDestination,
	type OutputFormat,
	ResultWriter,
	streamDestination,
} from './output/write.ts';
import {
	type Api,
	type ApiRequest,
	type RequestOptions,
	requestBuilder,
} from './requests/build.ts';
import { defaultCacheDir, ResponseCache } from './requests/cache.ts';
import type { HaltPolicy } from './scheduling/halt.ts';
import { Limiter } from './scheduling/limiter.ts';
import { type RunEnd, runRecords } from './scheduling/runner.ts';
import { RunStats } from './scheduling/stats.ts';

/** Everything a run can be told. Defaults are the CLI's, listed in the README. */
export interface RunOptions extends Omit<RequestOptions, 'api' | 'model'> {
	/** Input files in order; `-` is stdin. Default: stdin. */
	readonly files?: readonly string[];
	/** Default: by extension (`.jsonl` is jsonl), else `lines`. */
	readonly inputFormat?: InputFormat | undefined;
	/** Default: `chat`. */
	readonly api?: Api;
	/** Default: $PROMPTBATCH_MODEL, else gpt-4o-mini. */
	readonly model?: string | undefined;
	/** Default 8. */
	readonly concurrency?: number;
	readonly rpm?: number | undefined;
	readonly tpm?: number | undefined;
	/** Default 5. */
	readonly retries?: number;
	/** Per attempt. Default 600. */
	readonly timeoutSeconds?: number;
	/** Default `text`. */
	readonly format?: OutputFormat;
	/** Default: stdout. With a file, results are also journaled, which makes the run resumable. */
	readonly output?: string | undefined;
	/** Continue the run recorded in the output's journal. Needs `output`. */
	readonly resume?: boolean | undefined;
	/** Answer identical requests from a response cache: `true` for the default directory. */
	readonly cache?: string | boolean | undefined;
	/** Cache entries older than this are not used. Default: no limit. */
	readonly cacheTtlMs?: number | undefined;
	/** Stop after too many failed prompts. Default: never. */
	readonly halt?: HaltPolicy | undefined;
	/** After an interrupt, how long requests in flight may take. Default 5. */
	readonly graceSeconds?: number;
	readonly baseUrl?: string | undefined;
	readonly quiet?: boolean;
	readonly verbose?: boolean;
	readonly dryRun?: boolean;
	/** Run against the built-in mock server. */
	readonly mock?: boolean;
}

/** The process around a run, passed in so that the library never touches globals. */
export interface RunIO {
	readonly stdin: Readable;
	readonly stdout: Writable;
	readonly stderr: Writable & { isTTY?: boolean; columns?: number };
	readonly env: Environment;
	/** Stop dispatching; requests in flight get the grace period (first Ctrl-C). */
	readonly interrupt?: AbortSignal;
	/** Stop dispatching and abort requests in flight now (second Ctrl-C). */
	readonly abort?: AbortSignal;
}

export interface RunSummary {
	/** Prompts in the input, if known (not when stdin was read and the run stopped early). */
	readonly total: number | undefined;
	readonly ok: number;
	readonly failed: number;
	readonly aborted: number;
	readonly interrupted: boolean;
}

/**
 * Runs every prompt and writes every result. Throws a PromptbatchError for bad usage, config
 * or input (before anything is sent, for files), and for a run that stopped early (fatal,
 * halted: after writing what came back); resolves otherwise, with the counts for the exit code.
 */
export async function run(given: RunOptions, io: RunIO): Promise<RunSummary> {
	// `-o -` is stdout, as for most tools that take an output file.
	const options = given.output === STDIN ? { ...given, output: undefined } : given;
	if (options.resume && options.output === undefined) {
		throw new UsageError(
			'--resume needs -o FILE',
			'a run resumes from the journal it keeps beside its output file',
		);
	}
	const files = options.files && options.files.length > 0 ? options.files : [STDIN];
	if (options.output !== undefined) refuseOverwritingInput(options.output, files);
	const build = requestBuilder({
		...options,
		api: options.api ?? 'chat',
		model: options.model ?? defaultModel(io.env),
	});
	const connection =
		options.mock || options.dryRun ? undefined : resolveConnection(io.env, options.baseUrl);
	const redact = redactor([connection?.apiKey, io.env.OPENAI_API_KEY]);
	const reporter = new Reporter({
		stream: io.stderr,
		env: io.env,
		quiet: options.quiet,
		verbose: options.verbose,
		redact,
	});
	if (options.dryRun) {
		const total = await preflight(files, options.inputFormat, io.stdin, build);
		return dryRun(files, options, io, build, total);
	}

	const release = options.output === undefined ? undefined : acquireLock(options.output);
	const cleanup: (() => void | Promise<void>)[] = [];
	try {
		const previous = options.resume
			? readJournal(journalPath(options.output as string))
			: undefined;
		const cache =
			options.cache === undefined || options.cache === false
				? undefined
				: new ResponseCache(
						options.cache === true ? defaultCacheDir(io.env) : options.cache,
						options.cacheTtlMs,
					);
		const baseURL = options.mock ? 'mock' : (connection?.baseURL ?? 'https://api.openai.com/v1');
		const total = await preflight(files, options.inputFormat, io.stdin, build, (record, request) =>
			checkResume(previous?.entries, record, request),
		);
		checkResumeLength(previous?.entries, total);

		let journal: JournalWriter | undefined;
		let destination: Destination = streamDestination(io.stdout);
		if (options.output !== undefined) {
			journal = new JournalWriter(journalPath(options.output), previous?.intactBytes);
			cleanup.push(() => journal?.close());
			destination = fileDestination(options.output);
			cleanup.push(() => destination.close());
		}
		const mock = options.mock
			? await (await import('./mock/server.ts')).startMockServer({ latencyMs: [50, 400] })
			: undefined;
		if (mock) cleanup.push(() => mock.close());
		const target: Connection = connection ?? {
			apiKey: 'mock',
			baseURL: mock?.url,
			organization: undefined,
			project: undefined,
		};
		const { createTransport } = await import('./requests/client.ts');

		const stats = new RunStats();
		stats.total = total;
		const writer = new ResultWriter(destination, options.format ?? 'text');
		const concurrency = options.concurrency ?? 8;
		await reporter.start(stats);
		const end = await runRecords(
			readRecords(files, options.inputFormat, io.stdin),
			{
				concurrency,
				retries: options.retries ?? 5,
				window: Math.max(1024, 4 * concurrency),
				graceMs: (options.graceSeconds ?? 5) * 1000,
				halt: options.halt,
			},
			{
				build,
				transport: createTransport(target, {
					timeoutMs: (options.timeoutSeconds ?? 600) * 1000,
					env: io.env,
					log: (line) => reporter.log(line),
				}),
				limiter: new Limiter({ rpm: options.rpm, tpm: options.tpm }),
				stats,
				emit: (result) => writer.write(result),
				ledger:
					journal || cache
						? new Ledger({ previous: previous?.entries, journal, cache, baseURL })
						: undefined,
				verbose: (line) => reporter.verbose(line),
				redact,
			},
			{ interrupt: io.interrupt, abort: io.abort },
		).finally(() => reporter.stop());
		await writer.end();
		reporter.summary(stats, HEADLINES[end.kind]);
		if (end.kind !== 'complete' && end.kind !== 'interrupted') throw end.error;
		return {
			total,
			ok: stats.ok,
			failed: stats.failed,
			aborted: stats.aborted,
			interrupted: end.kind === 'interrupted',
		};
	} catch (error) {
		// The run's own error says more than any failure to close up after it.
		await closeAll(cleanup).catch(() => {});
		throw error;
	} finally {
		await closeAll(cleanup);
		release?.();
	}
}

/** Runs each cleanup step once, in reverse order, all of them; then throws the first failure. */
async function closeAll(steps: (() => void | Promise<void>)[]): Promise<void> {
	let failure: unknown;
	for (const step of steps.splice(0).reverse()) {
		try {
			await step();
		} catch (error) {
			failure ??= error;
		}
	}
	if (failure !== undefined) throw failure;
}

const HEADLINES: Record<RunEnd['kind'], string> = {
	complete: 'done',
	interrupted: 'interrupted',
	fatal: 'aborted',
	input: 'stopped',
	halted: 'halted',
};

async function dryRun(
	files: readonly string[],
	options: RunOptions,
	io: RunIO,
	build: (record: PromptRecord) => ApiRequest,
	total: number | undefined,
): Promise<RunSummary> {
	const destination =
		options.output === undefined ? streamDestination(io.stdout) : fileDestination(options.output);
	try {
		for await (const record of readRecords(files, options.inputFormat, io.stdin)) {
			await destination.write(`${JSON.stringify(build(record).body)}\n`);
		}
	} finally {
		await destination.close();
	}
	return { total, ok: 0, failed: 0, aborted: 0, interrupted: false };
}

/** Writing the output would truncate an input before it is read: refuse, as `sort -o` would not. */
function refuseOverwritingInput(output: string, files: readonly string[]): void {
	const target = identity(output);
	if (target === undefined) return;
	const input = files.find((file) => file !== STDIN && identity(file) === target);
	if (input !== undefined) {
		throw new UsageError(
			`-o ${output} is also an input file (${input}); writing it would destroy the input`,
			'write the results to another file',
		);
	}
}

function identity(path: string): string | undefined {
	try {
		const { dev, ino } = statSync(path);
		return `${dev}:${ino}`;
	} catch {
		return undefined;
	}
}
