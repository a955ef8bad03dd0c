import type { Readable, Writable } from 'node:stream';
import {
	type Connection,
	connectionWarnings,
	defaultModel,
	type Environment,
	redactor,
	resolveConnection,
} from '../core/config.ts';
import { FatalRunError, OutputClosedError, PromptbatchError, UsageError } from '../core/errors.ts';
import { DEFAULTS, type RunOptions } from '../core/options.ts';
import type { DispatchEnd } from '../engines/realtime/stop.ts';
import { readRecords, STDIN } from '../input/sources.ts';
import { fileDestination, streamDestination } from '../output/destination.ts';
import { ResultWriter } from '../output/format.ts';
import { requestBuilder } from '../requests/build.ts';
import { defaultCacheDir, ResponseCache } from '../state/cache.ts';
import { requestKey } from '../state/fingerprint.ts';
import { JournalWriter, journalPath, readJournal } from '../state/journal.ts';
import { checkResume, checkResumeLength, Ledger } from '../state/ledger.ts';
import { acquireLock } from '../state/lock.ts';
import { Reporter } from '../terminal/progress.ts';
import { dryRun } from './dry-run.ts';
import { preflight, refuseNonFileOutput, refuseOverwritingInput } from './preflight.ts';
import { RunStats } from './stats.ts';

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

/** How a run ended, and its counts. The CLI maps it to an exit code; it is never thrown. */
export interface RunSummary {
	/**
	 * `complete`: every prompt read has its result (some may have failed); `interrupted`: by
	 * `interrupt` or `abort`; `aborted`: by a failure that dooms every request or an output that
	 * can't be written; `invalid`: bad usage, configuration or input (nothing was sent; for
	 * stdin, nothing after the bad record); `halted`: by `--halt`.
	 */
	readonly end: DispatchEnd['kind'];
	/** Why the run ended early, for every end but `complete` and `interrupted`. */
	readonly error: PromptbatchError | undefined;
	/** Prompts in the input, if known (not when stdin was read and the run stopped early). */
	readonly total: number | undefined;
	readonly ok: number;
	readonly failed: number;
	readonly aborted: number;
}

/**
 * Runs every prompt and writes every result. Resolves with a summary however the run ends,
 * bad usage, input or configuration included (found before anything is sent, for files);
 * rejects only on a bug.
 */
export async function run(options: RunOptions, io: RunIO): Promise<RunSummary> {
	let stats: RunStats | undefined;
	const summary = (end: DispatchEnd): RunSummary => ({
		end: end.kind,
		error: 'error' in end ? end.error : undefined,
		total: stats?.total,
		ok: stats?.ok ?? 0,
		failed: stats?.failed ?? 0,
		aborted: stats?.aborted ?? 0,
	});
	try {
		return summary(
			await execute(options, io, (started) => {
				stats = started;
			}),
		);
	} catch (error) {
		if (!(error instanceof PromptbatchError)) throw error;
		return summary({ kind: error instanceof FatalRunError ? 'aborted' : 'invalid', error });
	}
}

/** Checks everything, wires the parts and the engine, and closes what it opened. */
async function execute(
	given: RunOptions,
	io: RunIO,
	started: (stats: RunStats) => void,
): Promise<DispatchEnd> {
	// `-o -` is stdout, as for most tools that take an output file; so is `-o /dev/stdout`.
	const options = STDOUT_NAMES.has(given.output ?? '') ? { ...given, output: undefined } : given;
	const resume = options.resume || options.resumeFailed;
	if (resume && options.output === undefined) {
		throw new UsageError(
			`${options.resumeFailed ? '--resume-failed' : '--resume'} needs -o FILE`,
			'a run resumes from the journal it keeps beside its output file',
		);
	}
	const files = options.files && options.files.length > 0 ? options.files : [STDIN];
	if (options.output !== undefined) {
		refuseNonFileOutput(options.output);
		refuseOverwritingInput(options.output, files, (io.stdin as { fd?: number }).fd);
	}
	const build = requestBuilder({
		...options,
		api: options.api ?? DEFAULTS.api,
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
	for (const warning of connection ? connectionWarnings(connection) : []) reporter.warn(warning);
	const stats = new RunStats();
	if (options.dryRun) {
		stats.total = await preflight(files, options.inputFormat, io.stdin, build);
		started(stats);
		const release = options.output === undefined ? undefined : acquireLock(options.output);
		try {
			const count = await dryRun(files, options.inputFormat, options.output, io, build);
			if (count === 0 && !options.quiet) reporter.warn(NO_PROMPTS);
		} finally {
			release?.();
		}
		return { kind: 'complete' };
	}

	const release = options.output === undefined ? undefined : acquireLock(options.output);
	const closeInputs = new AbortController();
	const cleanup: (() => unknown)[] = [() => closeInputs.abort()];
	try {
		const previous = resume ? readJournal(journalPath(options.output as string)) : undefined;
		const cache =
			options.cache === undefined || options.cache === false
				? undefined
				: new ResponseCache(
						options.cache === true ? defaultCacheDir(io.env) : options.cache,
						options.cacheTtlMs,
					);
		// What identifies the server in journal and cache: --mock's port changes every run.
		const server = options.mock ? 'mock' : (connection?.baseURL ?? OPENAI_BASE_URL);
		const total = await preflight(files, options.inputFormat, io.stdin, build, (record, request) =>
			checkResume(previous?.entries, record, requestKey(server, request)),
		);
		checkResumeLength(previous?.entries, total);
		if (cache) {
			const pruning = cache.prune();
			cleanup.push(() => pruning);
		}

		let journal: JournalWriter | undefined;
		if (options.output !== undefined) {
			journal = new JournalWriter(journalPath(options.output), previous?.intactBytes);
			cleanup.push(() => journal?.close());
		}
		const destination =
			options.output === undefined ? streamDestination(io.stdout) : fileDestination(options.output);
		cleanup.push(() => destination.close());
		const mock = options.mock
			? await (await import('../mock/server.ts')).startMockServer({ latencyMs: [50, 400] })
			: undefined;
		if (mock) cleanup.push(() => mock.close());
		const target: Connection = connection ?? {
			apiKey: 'mock',
			baseURL: mock?.url,
			organization: undefined,
			project: undefined,
		};
		const [{ createTransport }, { dispatch }] = await Promise.all([
			import('../http/transport.ts'),
			import('../engines/realtime/dispatch.ts'),
		]);

		stats.total = total;
		started(stats);
		const writer = new ResultWriter(destination, options.format ?? DEFAULTS.format);
		const concurrency = options.concurrency ?? DEFAULTS.concurrency;
		await reporter.start(stats);
		const end = await dispatch(
			readRecords(files, options.inputFormat, io.stdin, closeInputs.signal),
			{
				concurrency,
				retries: options.retries ?? DEFAULTS.retries,
				window: Math.max(DEFAULTS.reorderWindow, 4 * concurrency),
				graceMs: options.graceMs ?? DEFAULTS.graceMs,
				halt: options.halt,
				rpm: options.rpm,
				tpm: options.tpm,
			},
			{
				build,
				baseURL: target.baseURL ?? OPENAI_BASE_URL,
				transport: createTransport(target, {
					timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
					env: io.env,
					log: (line) => reporter.log(line),
				}),
				emit: (result) => writer.write(result),
				ledger:
					journal || cache
						? new Ledger({
								previous: previous?.entries,
								checked: total !== undefined,
								journal,
								cache,
								resendFailed: options.resumeFailed,
								baseURL: server,
							})
						: undefined,
				events: stats,
				verbose: (line) => reporter.verbose(line),
				warn: (line) => reporter.warn(line),
				redact,
			},
			{ interrupt: io.interrupt, abort: io.abort },
		).finally(() => reporter.stop());
		// Nobody reads a summary of a run whose reader went away, as no tool complains of SIGPIPE.
		if ('error' in end && end.error instanceof OutputClosedError) return end;
		await writer.end();
		// A complete run that answered nothing read nothing: worth a word, not a failure.
		if (end.kind === 'complete' && stats.done === 0 && !options.quiet) reporter.warn(NO_PROMPTS);
		reporter.summary(stats, HEADLINES[end.kind]);
		return end;
	} catch (error) {
		// The run's own error says more than any failure to close up after it.
		await closeAll(cleanup).catch(() => {});
		throw error;
	} finally {
		await closeAll(cleanup);
		release?.();
	}
}

const NO_PROMPTS = 'no prompts in the input (blank lines are skipped)';

const STDOUT_NAMES = new Set([STDIN, '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/** Part of every cache key when no base URL is given. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

const HEADLINES: Record<DispatchEnd['kind'], string> = {
	complete: 'done',
	interrupted: 'interrupted',
	aborted: 'aborted',
	invalid: 'stopped',
	halted: 'halted',
};

/** Runs each cleanup step once, in reverse order, all of them; then throws the first failure. */
async function closeAll(steps: (() => unknown)[]): Promise<void> {
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
