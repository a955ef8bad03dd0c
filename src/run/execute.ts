import {
	type Connection,
	connectionWarnings,
	defaultModel,
	redactor,
	resolveConnection,
	targetBaseURL,
} from '../core/config.ts';
import { OutputClosedError } from '../core/errors.ts';
import { DEFAULTS, OPENAI_BASE_URL, type RunOptions } from '../core/options.ts';
import { loadPrices, pricer } from '../cost/prices.ts';
import { readRecords, STDIN } from '../input/sources.ts';
import { fileDestination, streamDestination } from '../output/destination.ts';
import { ResultWriter } from '../output/format.ts';
import { requestBuilder } from '../requests/build.ts';
import { API_PATHS } from '../requests/endpoints.ts';
import { defaultCacheDir, ResponseCache } from '../state/cache.ts';
import { JournalWriter, journalPath } from '../state/journal.ts';
import { readJournal } from '../state/journal-reader.ts';
import { Ledger } from '../state/ledger.ts';
import { acquireLock } from '../state/lock.ts';
import { NO_PROMPTS, Reporter } from '../terminal/progress.ts';
import { introText } from '../terminal/progress-text.ts';
import { admit } from './admit.ts';
import { checkedRecords } from './context.ts';
import { sendNothing } from './dry-run.ts';
import { batchLimits, type RunEnd, runBatches, runRealtime, type Wiring } from './engines.ts';
import {
	preflight,
	refuseContradictions,
	refuseForgettingBatches,
	refuseNonFileOutput,
	refuseOverwritingInput,
} from './preflight.ts';
import type { RunIO } from './run.ts';
import { RunStats } from './stats.ts';

/** Checks everything, wires the parts and the engine, and closes what it opened. */
export async function execute(
	given: RunOptions,
	io: RunIO,
	started: (stats: RunStats) => void,
): Promise<RunEnd> {
	// `-o -` is stdout, as for most tools that take an output file; so is `-o /dev/stdout`.
	const options = STDOUT_NAMES.has(given.output ?? '') ? { ...given, output: undefined } : given;
	const resume = options.resume || options.resumeFailed;
	refuseContradictions(options);
	const files = options.files && options.files.length > 0 ? options.files : [STDIN];
	if (options.output !== undefined) {
		refuseNonFileOutput(options.output);
		refuseOverwritingInput(options.output, files, (io.stdin as { fd?: number }).fd);
	}
	const connection =
		options.mock || options.dryRun || options.estimate
			? undefined
			: resolveConnection(io.env, options.baseUrl);
	const build = requestBuilder({
		...options,
		api: options.api ?? DEFAULTS.api,
		model: options.model ?? defaultModel(io.env),
		// --mock stands in for OpenAI; a dry run shows what the server it names would get.
		baseUrl: options.mock ? OPENAI_BASE_URL : targetBaseURL(options.baseUrl, io.env),
	});
	const redact = redactor([connection?.apiKey, io.env.OPENAI_API_KEY]);
	const reporter = new Reporter({
		stream: io.stderr,
		env: io.env,
		quiet: options.quiet,
		verbose: options.verbose,
		redact,
		intervalMs: options.progressIntervalMs,
	});
	for (const warning of connection ? connectionWarnings(connection) : []) reporter.warn(warning);
	const stats = new RunStats();
	if (options.dryRun || options.estimate) {
		// A dry run writes bodies as it reads, so bad input must be found first; an estimate
		// writes only at the end, so its one reading finds bad input as well.
		if (options.dryRun) stats.total = await preflight(files, options.inputFormat, io.stdin, build);
		started(stats);
		const model = options.model ?? defaultModel(io.env);
		const limits = options.batch ? batchLimits(options) : undefined;
		await sendNothing({ options, files, io, build, reporter, model, limits });
		return { kind: 'complete' };
	}

	const release = options.output === undefined ? undefined : acquireLock(options.output);
	const closeInputs = new AbortController();
	const cleanup: (() => unknown)[] = [() => closeInputs.abort()];
	try {
		const previous = resume ? readJournal(journalPath(options.output as string)) : undefined;
		if (previous) cleanup.push(() => previous.close());
		const cache =
			options.cache === undefined || options.cache === false
				? undefined
				: await ResponseCache.open(
						options.cache === true ? defaultCacheDir(io.env) : options.cache,
						options.cacheTtlMs,
						(line) => reporter.warn(line),
					);
		if (cache) cleanup.push(() => cache.close());
		// Loaded while the input is checked; a bad --prices file is found before anything is sent.
		const pricesLoading = loadPrices(options.prices, defaultCacheDir(io.env));
		pricesLoading.catch(() => {});
		// What identifies the server in journal and cache: --mock's port changes every run.
		const server = options.mock ? 'mock' : (connection?.baseURL ?? OPENAI_BASE_URL);
		const model = options.model ?? defaultModel(io.env);
		const { total, budget, fits } = await admit({
			options,
			files,
			stdin: io.stdin,
			build,
			previous: previous?.entries,
			server,
			model,
			prices: await pricesLoading,
			warn: (line) => reporter.warn(line),
		});
		cache?.prune();

		let journal: JournalWriter | undefined;
		if (options.output !== undefined && !resume) refuseForgettingBatches(options.output);
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

		stats.total = total;
		stats.realtimePrice = pricer(await pricesLoading, 'realtime');
		started(stats);
		const writer = new ResultWriter(destination, options.format ?? DEFAULTS.format);
		const ledger =
			journal || cache
				? new Ledger({
						previous: previous?.entries,
						checked: total !== undefined,
						journal,
						cache,
						resendFailed: options.resumeFailed,
						baseURL: server,
					})
				: undefined;
		const read = readRecords(files, options.inputFormat, io.stdin, closeInputs.signal);
		// Files were checked before the first request; a stream is checked as it comes.
		const input =
			total === undefined ? checkedRecords(read, build, fits) : { records: read, build };
		const wiring: Wiring = {
			options,
			io,
			...input,
			target,
			ledger,
			journal,
			previousBatches: previous?.batches ?? [],
			emit: (result) => writer.write(result),
			stats,
			reporter,
			redact,
			server,
			cache,
			prices: await pricesLoading,
			budget,
		};
		const api = options.api ?? DEFAULTS.api;
		await reporter.start(
			stats,
			introText({
				total,
				model: options.model ?? defaultModel(io.env),
				endpoint: mock
					? `the built-in mock (${API_PATHS[api]})`
					: options.batch
						? `the Batch API at ${target.baseURL ?? OPENAI_BASE_URL} (${API_PATHS[api]})`
						: `${target.baseURL ?? OPENAI_BASE_URL}${API_PATHS[api]}`,
				concurrency: options.batch ? undefined : (options.concurrency ?? DEFAULTS.concurrency),
			}),
		);
		const end = await (options.batch ? runBatches(wiring) : runRealtime(wiring)).finally(() =>
			reporter.stop(),
		);
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

const STDOUT_NAMES = new Set([STDIN, '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

const HEADLINES: Record<RunEnd['kind'], string> = {
	pending: 'submitted',
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
