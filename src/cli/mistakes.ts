import type { Command } from 'commander';

/**
 * Flags people reach for from other tools, and what promptbatch calls them. Commander's own
 * suggestion goes by spelling alone, and would offer `--json` for `--jsonl`.
 */
const ALIASES: Readonly<Record<string, string>> = {
	'--jsonl': '-f jsonl (or --input-format jsonl for JSONL input)',
	'--ndjson': '-f jsonl (or --input-format jsonl for JSONL input)',
	'--json-lines': '-f jsonl (or --input-format jsonl for JSONL input)',
	'--output-format': '-f',
	'--out-format': '-f',
	'--csv': '--input-format csv',
	'--tsv': '--input-format tsv',
	'--nul': '--input-format nul',
	'--null': '--input-format nul',
	'--out': '-o',
	'--outfile': '-o',
	'--output-file': '-o',
	'--system-prompt': '-s',
	'--prompt-template': '-t',
	'--parallel': '-c',
	'--jobs': '-c',
	'--workers': '-c',
	'--max-completion-tokens': '--max-tokens',
	'--max_tokens': '--max-tokens',
	'--endpoint': '--base-url',
	'--api-base': '--base-url',
	'--base_url': '--base-url',
	'--silent': '-q',
	'--dryrun': '--dry-run',
	'--api-key': 'no flag: the key is read from OPENAI_API_KEY (environment or .env)',
	'--key': 'no flag: the key is read from OPENAI_API_KEY (environment or .env)',
};

/**
 * Commander's error text as one line: `unknown option '--jsonl'` gains the right suggestion,
 * and its own "(Did you mean ...?)" line joins the first.
 */
export function commanderErrorLine(text: string): string {
	const body = text.replace(/^error: /, '').trim();
	const unknown = /^unknown option '([^']+)'/.exec(body);
	const alias = unknown ? ALIASES[(unknown[1] as string).split('=')[0] as string] : undefined;
	if (unknown && alias)
		return `${unknown[0]}: ${alias.startsWith('no flag') ? alias : `did you mean ${alias}?`}`;
	return body.replace(/\s*\n\(Did you mean (.+)\?\)$/, ': did you mean $1?').replaceAll('\n', ' ');
}

/**
 * `-model gpt-4o` would be read as `-m odel`: a single-dash word that is the name of a long
 * option is refused, with its spelling. Returns the message, or undefined when there is none.
 */
export function singleDashLong(argv: readonly string[], program: Command): string | undefined {
	const longs = new Map(
		program.options
			.filter((option) => option.long)
			.map((option) => [option.long?.slice(2), option]),
	);
	let takesValue = false;
	for (const arg of argv) {
		if (arg === '--') return undefined;
		const word = /^-([a-z][a-z-]+)(?:=.*)?$/.exec(arg)?.[1];
		if (!takesValue && word !== undefined && longs.has(word))
			return `${arg}: a long option takes two dashes: --${arg.slice(1)}`;
		const option = program.options.find((o) => o.long === arg || o.short === arg);
		takesValue = option?.required === true;
	}
	return undefined;
}

/** Options given on the command line that another option (or its absence) makes do nothing. */
const IGNORED: readonly {
	readonly flags: readonly [name: string, flag: string][];
	readonly when: (o: Record<string, unknown>) => boolean;
	readonly why: string;
}[] = [
	{ flags: [['cacheTtl', '--cache-ttl']], when: (o) => !o.cache, why: 'without --cache' },
	{
		flags: [
			['verbose', '--verbose'],
			['progressInterval', '--progress-interval'],
		],
		when: (o) => o.quiet === true,
		why: 'with -q',
	},
	{ flags: [['baseUrl', '--base-url']], when: (o) => o.mock === true, why: 'with --mock' },
	{
		flags: [
			['batchSize', '--batch-size'],
			['batchTokens', '--batch-tokens'],
			['poll', '--poll'],
			['wait', '--no-wait'],
			['batchDeadline', '--batch-deadline'],
		],
		when: (o) => !o.batch,
		why: 'without --batch',
	},
	{
		flags: [
			['concurrency', '-c'],
			['rpm', '--rpm'],
			['tpm', '--tpm'],
			['retries', '--retries'],
			['timeout', '--timeout'],
			['format', '-f'],
			['cache', '--cache'],
			['halt', '--halt'],
		],
		when: (o) => o.dryRun === true,
		why: 'with --dry-run, which sends nothing and prints request bodies as JSONL',
	},
	{
		flags: [
			['output', '-o'],
			['concurrency', '-c'],
			['rpm', '--rpm'],
			['tpm', '--tpm'],
			['cache', '--cache'],
			['resume', '--resume'],
		],
		when: (o) => o.estimate === true && !o.dryRun,
		why: 'with --estimate, which sends nothing and prints the estimate on stdout',
	},
];

/** One warning for each option the rest of the command line makes do nothing. */
export function ignoredOptions(program: Command): string[] {
	const o = program.opts();
	const warnings: string[] = [];
	for (const rule of IGNORED) {
		if (!rule.when(o)) continue;
		const given = rule.flags.filter(([name]) => program.getOptionValueSource(name) === 'cli');
		if (given.length > 0)
			warnings.push(
				`${given.map(([, flag]) => flag).join(', ')} ${given.length > 1 ? 'do' : 'does'} nothing ${rule.why}`,
			);
	}
	return warnings;
}
