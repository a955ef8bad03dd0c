import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import {
	type Connection,
	defaultModel,
	type Environment,
	redactor,
	resolveConnection,
} from './config.ts';
import { UsageError } from './errors.ts';
import type { InputFormat } from './input/records.ts';
import { readRecords, STDIN } from './input/sources.ts';
import { Reporter } from './output/progress.ts';
import { type OutputFormat, ResultWriter } from './output/write.ts';
import { type Api, type RequestOptions, requestBuilder } from './requests/build.ts';
import { Limiter } from './scheduling/limiter.ts';
import { runRecords } from './scheduling/runner.ts';
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
	/** Default: stdout. */
	readonly output?: string | undefined;
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
	/** Aborting it stops the run as an interrupt (Ctrl-C). */
	readonly signal?: AbortSignal;
}

export interface RunSummary {
	readonly ok: number;
	readonly failed: number;
	readonly retries: number;
	readonly interrupted: boolean;
}

/**
 * Runs every prompt and writes every result. Throws a PromptbatchError for bad usage, config
 * or input (before anything is sent, for files) and for a fatal run (after writing what came
 * back); resolves otherwise, with the counts the exit code is made from.
 */
export async function run(options: RunOptions, io: RunIO): Promise<RunSummary> {
	const files = options.files && options.files.length > 0 ? options.files : [STDIN];
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

	// Every named file is read and every request built before the first is sent: a typo on line
	// 90,000 must not cost 89,999 requests. stdin can't be read twice, so it is checked as it streams.
	let total: number | undefined = 0;
	const named = files.filter((file) => file !== STDIN);
	for await (const record of readRecords(named, options.inputFormat, io.stdin)) {
		build(record);
		total++;
	}
	if (named.length < files.length) total = undefined;

	const output = options.output === undefined ? io.stdout : await openOutput(options.output);
	try {
		const writer = new ResultWriter(output, options.format ?? 'text');
		const records = readRecords(files, options.inputFormat, io.stdin);
		if (options.dryRun) {
			for await (const record of records) {
				if (!output.write(`${JSON.stringify(build(record).body)}\n`)) await once(output, 'drain');
			}
			return { ok: 0, failed: 0, retries: 0, interrupted: false };
		}
		const mock = options.mock
			? await (await import('./mock/server.ts')).startMockServer({ latencyMs: [50, 400] })
			: undefined;
		try {
			const target: Connection = connection ?? {
				apiKey: 'mock',
				baseURL: mock?.url,
				organization: undefined,
				project: undefined,
			};
			const { createTransport } = await import('./requests/client.ts');
			const stats = new RunStats();
			stats.total = total;
			await reporter.start(stats);
			const end = await runRecords(
				records,
				{
					concurrency: options.concurrency ?? 8,
					retries: options.retries ?? 5,
					window: Math.max(1024, 4 * (options.concurrency ?? 8)),
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
					verbose: (line) => reporter.verbose(line),
					redact,
				},
				io.signal,
			).finally(() => reporter.stop());
			await writer.end();
			const headline = {
				complete: 'done',
				interrupted: 'interrupted',
				fatal: 'aborted',
				input: 'stopped',
			}[end.kind];
			reporter.summary(stats, headline);
			if (end.kind === 'fatal' || end.kind === 'input') throw end.error;
			return {
				ok: stats.ok,
				failed: stats.failed,
				retries: stats.retries,
				interrupted: end.kind === 'interrupted',
			};
		} finally {
			await mock?.close();
		}
	} finally {
		if (output !== io.stdout) await new Promise((resolve) => output.end(resolve));
	}
}

async function openOutput(path: string): Promise<Writable> {
	try {
		return (await open(path, 'w')).createWriteStream();
	} catch (error) {
		throw new UsageError(
			`cannot write ${path}: ${(error as Error).message}`,
			'check that its directory exists and is writable',
		);
	}
}
