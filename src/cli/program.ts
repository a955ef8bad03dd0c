import { Command, Option } from 'commander';
import { DEFAULTS, type RunOptions } from '../core/options.ts';
import { HELP_FOOTER, version } from './help.ts';
import { commanderErrorLine, ignoredOptions, singleDashLong } from './mistakes.ts';
import {
	collectParam,
	duration,
	halt,
	integerIn,
	numberAbove,
	numberIn,
	systemPrompt,
	textOrFile,
} from './values.ts';

/**
 * The largest value each numeric flag takes: past these a value means nothing (a timer can't
 * hold more than 2^31 - 1 ms; no model writes 2^31 tokens) or is a typo.
 */
const LIMITS = {
	maxTokens: 2_147_483_647,
	concurrency: 10_000,
	rpm: 1_000_000_000,
	tpm: 1_000_000_000_000,
	retries: 100,
	timeoutSeconds: 2_147_483,
};

/**
 * Options of the realtime engine, by commander's name, that --batch refuses when given; with
 * --batch-deadline, all but --service-tier shape the flex requests that finish the run.
 */
const REALTIME_ONLY: readonly [string, string][] = [
	['serviceTier', '--service-tier'],
	['concurrency', '-c'],
	['rpm', '--rpm'],
	['tpm', '--tpm'],
	['timeout', '--timeout'],
];

/** Where commander writes help, version and usage errors. */
export interface ProgramOutput {
	readonly out: (text: string) => void;
	readonly err: (text: string) => void;
}

/** What the command line asks for, and the options in it that do nothing. */
export interface ParsedArgs {
	readonly options: RunOptions;
	readonly warnings: readonly string[];
}

/** Parses argv (without node and script) into run options. Throws CommanderError on bad usage. */
export function parseArgs(argv: readonly string[], write: ProgramOutput): ParsedArgs {
	const program = buildProgram(write);
	const misspelt = singleDashLong(argv, program);
	if (misspelt) program.error(misspelt, { code: 'promptbatch.singleDash', exitCode: 2 });
	program.parse(argv, { from: 'user' });
	const o = program.opts();
	if (o.batch) {
		const refused = o.batchDeadline === undefined ? REALTIME_ONLY : REALTIME_ONLY.slice(0, 1);
		const given = refused.filter(([name]) => program.getOptionValueSource(name) === 'cli');
		if (given.length > 0) {
			program.error(
				`${given.map(([, flag]) => flag).join(', ')} with --batch: the Batch API sets its own pace, timing and price, so ${given.length > 1 ? 'these have' : 'this has'} no meaning there`,
				{ code: 'promptbatch.batchOption', exitCode: 2 },
			);
		}
	}
	return { options: runOptions(program), warnings: ignoredOptions(program) };
}

function runOptions(program: Command): RunOptions {
	const o = program.opts();
	return {
		files: program.args,
		inputFormat: o.inputFormat,
		api: o.api,
		model: o.model,
		system: o.system,
		template: o.template,
		temperature: o.temperature,
		maxTokens: o.maxTokens,
		json: o.json,
		params: o.param,
		concurrency: o.concurrency,
		rpm: o.rpm,
		tpm: o.tpm,
		retries: o.retries,
		timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
		serviceTier: o.serviceTier,
		format: o.format,
		output: o.output,
		resume: o.resume,
		resumeFailed: o.resumeFailed,
		cache: o.cache,
		cacheTtlMs: o.cacheTtl,
		halt: o.halt,
		baseUrl: o.baseUrl,
		quiet: o.quiet,
		verbose: o.verbose,
		progressIntervalMs: o.progressInterval * 1000,
		summaryJson: o.summaryJson,
		dryRun: o.dryRun,
		estimate: o.estimate,
		maxCost: o.maxCost,
		prices: o.prices,
		mock: o.mock,
		batch: o.batch,
		batchSize: o.batchSize,
		batchTokens: o.batchTokens,
		pollMs: o.poll === undefined ? undefined : o.poll * 1000,
		wait: o.wait,
		cancel: o.cancel,
		batchDeadlineMs: o.batchDeadline,
	};
}

/**
 * What `--help` prints anywhere but on a terminal (which commander fits to its width): built
 * into dist/cli/help.txt, which `--help` then prints without loading commander (shortcut.ts).
 */
export function renderHelp(): string {
	let text = '';
	const program = buildProgram({
		out: (s) => {
			text += s;
		},
		err: () => {},
	});
	program.configureOutput({ getOutHelpWidth: () => 80, getOutHasColors: () => false });
	program.outputHelp();
	return text;
}

/** Every flag, its help text, default and value check: `--help` and the README come from here. */
export function buildProgram(write: ProgramOutput): Command {
	const group = (heading: string, ...options: Option[]) =>
		options.map((option) => option.helpGroup(heading));
	const program = new Command('promptbatch')
		.usage('[options] [files...]')
		.description(
			'Run many prompts through the OpenAI API (or any OpenAI-compatible server) and print numbered results in input order.\nFiles are read in order; - or no file means stdin.',
		)
		.argument('[files...]')
		.version(
			version(),
			'-V, --version',
			'print the version, with the Node.js and openai SDK versions',
		)
		.helpOption('-h, --help', 'show this help')
		.exitOverride()
		.configureOutput({
			writeOut: write.out,
			writeErr: write.err,
			outputError: (text, out) =>
				out(`promptbatch: ${commanderErrorLine(text)} (see promptbatch --help)\n`),
		})
		.addHelpText('after', HELP_FOOTER);
	const options = [
		...group(
			'Input:',
			new Option(
				'--input-format <format>',
				'lines: one prompt a line; nul: NUL-separated; jsonl: one JSON value a line; json: one JSON array; csv, tsv: a header row, then one prompt a row (default: by extension, .jsonl .ndjson .json .csv .tsv, else lines)',
			).choices(['lines', 'nul', 'jsonl', 'json', 'csv', 'tsv']),
		),
		...group(
			'Requests:',
			new Option(
				'-m, --model <model>',
				`model (default: $PROMPTBATCH_MODEL, else ${DEFAULTS.model})`,
			),
			new Option(
				'-s, --system <text>',
				'system prompt, or @FILE to read it from FILE (instructions on the Responses API)',
			).argParser(systemPrompt),
			new Option(
				'-t, --template <text>',
				'prompt template, or @FILE: {{input}} is the prompt, {{name}} a field of a JSONL, JSON or CSV record',
			).argParser(textOrFile),
			new Option('--temperature <n>', 'sampling temperature, 0 to 2').argParser(numberIn(0, 2)),
			new Option('--max-tokens <n>', 'maximum output tokens').argParser(
				integerIn(1, LIMITS.maxTokens),
			),
			new Option('--json', 'ask for a JSON object response'),
			new Option('-p, --param <key=value>', 'extra body field, JSON-typed, dots nest (repeatable)')
				.argParser(collectParam)
				.default(undefined),
			new Option('--api <api>', 'chat (Chat Completions) or responses (Responses API)')
				.choices(['chat', 'responses'])
				.default(DEFAULTS.api),
			new Option(
				'--service-tier <tier>',
				'service_tier of every request: flex costs what --batch does, answers slower, and may be unavailable (retried)',
			).choices(['auto', 'default', 'flex', 'priority']),
			new Option(
				'--base-url <url>',
				'an OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI)',
			),
		),
		...group(
			'Scheduling:',
			new Option('-c, --concurrency <n>', 'requests in flight at most')
				.argParser(integerIn(1, LIMITS.concurrency))
				.default(DEFAULTS.concurrency),
			new Option(
				'--rpm <n>',
				'requests per minute, spread evenly (default: learned from the server)',
			).argParser(numberAbove(0, LIMITS.rpm)),
			new Option(
				'--tpm <n>',
				'tokens per minute, estimated then settled (default: learned from the server)',
			).argParser(numberAbove(0, LIMITS.tpm)),
			new Option(
				'--retries <n>',
				'retries of a transient failure (429, 5xx, timeout, dropped connection)',
			)
				.argParser(integerIn(0, LIMITS.retries))
				.default(DEFAULTS.retries),
			new Option(
				'--timeout <seconds>',
				`per attempt (default: ${DEFAULTS.timeoutMs / 1000}, ${DEFAULTS.flexTimeoutMs / 1000} with --service-tier flex)`,
			).argParser(numberAbove(0, LIMITS.timeoutSeconds)),
		),
		...group(
			'Output:',
			new Option('-f, --format <format>', 'text, json (an array) or jsonl')
				.choices(['text', 'json', 'jsonl'])
				.default(DEFAULTS.format),
			new Option(
				'-o, --output <file>',
				'write results to a file, journaled so that a killed run can --resume (default, or -: stdout)',
			),
			new Option('-q, --quiet', 'no progress and no summary on stderr'),
			new Option('--verbose', 'log every retry and its reason on stderr'),
			new Option(
				'--progress-interval <seconds>',
				'between progress lines when stderr is not a terminal',
			)
				.argParser(numberAbove(0, LIMITS.timeoutSeconds))
				.default(DEFAULTS.progressIntervalMs / 1000),
			new Option(
				'--summary-json <file>',
				'when the run ends, write its counts, tokens, timings and how it ended to FILE as one JSON object',
			),
			new Option('--dry-run', 'print the request bodies as JSONL and send nothing'),
			new Option(
				'--mock',
				'run against a built-in mock server that echoes prompts (no key needed)',
			),
		),
		...group(
			'Cost:',
			new Option(
				'--estimate',
				'print the prompt count, exact input tokens, output bound and cost (realtime, batch, flex) and send nothing; -f json for one JSON object',
			),
			new Option(
				'--max-cost <usd>',
				'never spend more: each request (or batch) reserves its worst case before it is sent, and the run stops (exit 1, resumable) before one would cross the cap',
			).argParser(numberAbove(0, 1_000_000_000)),
			new Option(
				'--prices <file>',
				'prices over the built-in ones, JSON: {"MODEL": {"input": 0.15, "output": 0.6, "cached_input": 0.075, "batch": 0.5}} in USD per million tokens',
			),
		),
		...group(
			'Batch API:',
			new Option(
				'--batch',
				'send the prompts as OpenAI Batch API batches: half the price, answers within 24 h',
			),
			new Option('--batch-size <n>', 'lines in one batch at most')
				.argParser(integerIn(1, DEFAULTS.batchSize))
				.default(DEFAULTS.batchSize),
			new Option(
				'--batch-tokens <n>',
				'estimated input tokens in one batch at most (the enqueued-token limit)',
			).argParser(integerIn(1, LIMITS.tpm)),
			new Option(
				'--poll <seconds>',
				'between checks of a batch (default: a few seconds, backing off to a minute)',
			).argParser(numberAbove(0, LIMITS.timeoutSeconds)),
			new Option(
				'--batch-deadline <duration>',
				'batches still running this long after the run began (e.g. 6h) are cancelled, and what they did not answer goes through --service-tier flex at the same price',
			).argParser(duration),
			new Option('--no-wait', 'submit, write what is already known, and exit 75 while batches run'),
			new Option('--cancel', "with --resume: cancel the run's batches, keep what they finished"),
		),
		...group(
			'Long runs:',
			new Option(
				'--resume',
				'continue the run journaled beside -o FILE: send what has no result or failed in passing (5xx, timeouts...); keep successes and 4xx failures',
			),
			new Option('--resume-failed', 'as --resume, and send every recorded failure again'),
			new Option(
				'--cache [dir]',
				'answer repeated requests from a cache (default: $XDG_CACHE_HOME/promptbatch, else ~/.cache/promptbatch)',
			),
			new Option(
				'--cache-ttl <duration>',
				'ignore cache entries older than this, e.g. 12h or 7d',
			).argParser(duration),
			new Option(
				'--halt <when,fail=N|P%>',
				'stop after N (or P%) failed prompts: soon lets requests in flight finish, now aborts them',
			).argParser(halt),
		),
	];
	for (const option of options) program.addOption(option);
	return program;
}
