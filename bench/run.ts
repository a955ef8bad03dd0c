/**
 * `npm run bench`: promptbatch against bare client loops (the openai SDK, undici's `request`,
 * fetch), every one a process of its own against the same OpenAI-compatible server (another
 * process, bench/server.ts). Scenarios are interleaved, A B C A B C ..., and each figure is a
 * median, each ratio the median of the ratios within a round, so that a noisy machine slows
 * both sides of a ratio alike. CPU time and peak RSS are each process's own (bench/usage.mjs).
 *
 * Options: --prompts N (default 10000), --concurrency N (64), --repeat N (5), --slow N
 * (prompts at 200 ms latency, 3000), --scale (also 100k and 1M prompts, for memory), --rounds
 * (also every run's seconds, round by round, to see the machine's noise).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
	options: {
		prompts: { type: 'string', default: '10000' },
		concurrency: { type: 'string', default: '64' },
		repeat: { type: 'string', default: '5' },
		slow: { type: 'string', default: '3000' },
		scale: { type: 'boolean', default: false },
		rounds: { type: 'boolean', default: false },
	},
});
const count = Number(values.prompts);
const concurrency = String(values.concurrency);
const repeat = Number(values.repeat);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const bin = here('../bin/promptbatch.js');
const usageHook = here('./usage.mjs');
const dir = mkdtempSync(join(tmpdir(), 'promptbatch-bench-'));

interface Measure {
	readonly ms: number;
	readonly cpuUs: number;
	readonly maxRssKb: number;
}

/** Runs one process to exit 0, stdin from `input` (a file), stdout to /dev/null. */
function measure(args: readonly string[], input: string | undefined): Promise<Measure> {
	const usage = join(dir, `usage-${Math.random().toString(36).slice(2)}.json`);
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const child = spawn(process.execPath, ['--import', usageHook, ...args], {
			env: { PATH: process.env.PATH ?? '', HOME: dir, OPENAI_API_KEY: 'bench', BENCH_USAGE: usage },
			cwd: dir,
			stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
		});
		let stderr = '';
		child.stderr?.on('data', (chunk) => {
			stderr += chunk;
		});
		if (input !== undefined) feed(child, input);
		child.on('close', (code) => {
			const ms = performance.now() - started;
			if (code !== 0) return reject(new Error(`${args.join(' ')}: exit ${code}\n${stderr}`));
			const used = JSON.parse(readFileSync(usage, 'utf8'));
			rmSync(usage);
			resolve({ ms, ...used });
		});
	});
}

function feed(child: ChildProcess, path: string): void {
	child.stdin?.on('error', () => {});
	if (child.stdin) createReadStream(path).pipe(child.stdin);
}

/** A bench server in its own process; resolves its base URL. */
async function startServer(latencyMs: number): Promise<{ url: string; stop: () => void }> {
	const child = spawn(process.execPath, [here('./server.ts'), String(latencyMs)], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const url = await new Promise<string>((resolve) =>
		child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
	);
	return { url, stop: () => child.kill() };
}

function promptsFile(n: number): string {
	const path = join(dir, `prompts-${n}.txt`);
	const lines: string[] = [];
	for (let i = 1; i <= n; i++) lines.push(`prompt number ${i}`);
	writeFileSync(path, `${lines.join('\n')}\n`);
	return path;
}

const median = (xs: readonly number[]) => {
	const sorted = [...xs].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2
		? (sorted[mid] as number)
		: ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface Scenario {
	readonly name: string;
	/** The arguments of one run; called for each, so that a run can get a fresh directory. */
	readonly args: () => readonly string[];
	/** Stdin, a file; undefined: none. */
	readonly input?: string;
	/** Prompts it sends, for rates and CPU per request. */
	readonly requests: number;
	/** Run once before the rounds (to fill a cache, or finish a run to resume). */
	readonly prepare?: () => Promise<unknown>;
}

/** Runs the scenarios interleaved, `rounds` times; every figure per scenario, in rounds. */
async function interleaved(scenarios: readonly Scenario[], rounds: number): Promise<Measure[][]> {
	for (const s of scenarios) await s.prepare?.();
	const results: Measure[][] = scenarios.map(() => []);
	for (let round = 0; round < rounds; round++)
		for (const [i, s] of scenarios.entries())
			(results[i] as Measure[]).push(await measure(s.args(), s.input));
	return results;
}

/** Median of the per-round ratios of a to b, by `pick`. */
const pairedRatio = (a: readonly Measure[], b: readonly Measure[], pick: (m: Measure) => number) =>
	median(a.map((m, i) => pick(m) / pick(b[i] as Measure)));

const fresh = (prefix: string) => mkdtempSync(join(dir, prefix));
const instant = await startServer(0);
const input = promptsFile(count);
const loop = (script: string, url: string) => () => [
	here(`./loops/${script}.ts`),
	url,
	concurrency,
];
const pb = (url: string, ...args: string[]) => [
	bin,
	'--base-url',
	url,
	'-c',
	concurrency,
	'-q',
	...args,
];
const warm = `--cache=${fresh('warm-')}`;
const finished = join(fresh('done-'), 'out.jsonl');

// The goals' paired ratios are against JSONL to stdout: text and a cold cache run either side
// of it, so that each pair is measured within seconds.
const scenarios: Scenario[] = [
	{ name: 'bare undici.request loop', args: loop('undici', instant.url), input, requests: count },
	{ name: 'bare openai SDK loop', args: loop('sdk', instant.url), input, requests: count },
	{ name: 'bare fetch loop', args: loop('fetch', instant.url), input, requests: count },
	{ name: 'promptbatch, text to stdout', args: () => pb(instant.url), input, requests: count },
	{
		name: 'promptbatch, jsonl to stdout',
		args: () => pb(instant.url, '-f', 'jsonl'),
		input,
		requests: count,
	},
	{
		name: 'promptbatch, --cache, cold',
		args: () => pb(instant.url, '-f', 'jsonl', `--cache=${fresh('cold-')}`),
		input,
		requests: count,
	},
	{
		name: 'promptbatch, -o file (journaled)',
		args: () => pb(instant.url, '-f', 'jsonl', '-o', join(fresh('out-'), 'out.jsonl'), input),
		requests: count,
	},
	{
		name: 'promptbatch, --cache, warm (no requests)',
		args: () => pb(instant.url, '-f', 'jsonl', warm),
		input,
		requests: count,
		prepare: () => measure(pb(instant.url, '-f', 'jsonl', warm), input),
	},
	{
		name: 'promptbatch, --resume of a finished run',
		args: () => pb(instant.url, '-f', 'jsonl', '-o', finished, '--resume', input),
		requests: count,
		prepare: () => measure(pb(instant.url, '-f', 'jsonl', '-o', finished, input), undefined),
	},
	{
		name: 'promptbatch, --batch on the mock',
		args: () => [bin, '--mock', '--batch', '--poll', '0.05', '-q', '-f', 'jsonl'],
		input,
		requests: count,
	},
];

const rounds = await interleaved(scenarios, repeat);
instant.stop();
const [undiciLoop, sdkLoop] = rounds as [Measure[], Measure[]];
const rows = scenarios.map((s, i) => {
	const runs = rounds[i] as Measure[];
	const ms = median(runs.map((m) => m.ms));
	return [
		s.name,
		(ms / 1000).toFixed(2),
		String(Math.round((s.requests / ms) * 1000)),
		(median(runs.map((m) => m.cpuUs)) / 1000 / s.requests).toFixed(3),
		String(Math.round(median(runs.map((m) => m.maxRssKb)) / 1024)),
		pairedRatio(sdkLoop, runs, (m) => m.ms).toFixed(2),
		pairedRatio(undiciLoop, runs, (m) => m.ms).toFixed(2),
	];
});

const runsOf = (name: string) => rounds[scenarios.findIndex((s) => s.name === name)] as Measure[];
const jsonlRuns = runsOf('promptbatch, jsonl to stdout');
const timeRatio = (name: string) => pairedRatio(runsOf(name), jsonlRuns, (m) => m.ms).toFixed(2);

// At 200 ms a request, the network is the bottleneck: the pipeline must keep up with it.
const slowCount = Number(values.slow);
const slow = await startServer(200);
const slowInput = promptsFile(slowCount);
const slowRounds = await interleaved(
	[
		{ name: 'undici loop', args: loop('undici', slow.url), input: slowInput, requests: slowCount },
		{
			name: 'promptbatch',
			args: () => pb(slow.url, '-f', 'jsonl'),
			input: slowInput,
			requests: slowCount,
		},
	],
	Math.min(repeat, 3),
);
slow.stop();
const [slowLoop, slowPb] = slowRounds as [Measure[], Measure[]];
const rate = (runs: Measure[]) => (slowCount / median(runs.map((m) => m.ms))) * 1000;

// Start-up: --help and --version against node doing nothing.
const startup = await interleaved(
	[
		{ name: 'node -e 0', args: () => ['-e', '0'], requests: 1 },
		{ name: '--help', args: () => [bin, '--help'], requests: 1 },
		{ name: '--version', args: () => [bin, '--version'], requests: 1 },
	],
	15,
);
const [nothing, help, versionRuns] = startup as [Measure[], Measure[], Measure[]];

const table = (head: string[], body: string[][]) =>
	[
		`| ${head.join(' | ')} |`,
		`| ${head.map(() => '---').join(' | ')} |`,
		...body.map((r) => `| ${r.join(' | ')} |`),
	].join('\n');
const lines = [
	`${count} prompts, concurrency ${concurrency}, medians of ${repeat} interleaved rounds; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
	'',
	table(
		[
			'scenario',
			'seconds',
			'prompts/s',
			'CPU ms/prompt',
			'peak RSS MB',
			'speed vs SDK loop',
			'speed vs undici loop',
		],
		rows,
	),
	'',
	`Time against jsonl to stdout, paired within rounds: text ${timeRatio('promptbatch, text to stdout')}×, -o ${timeRatio('promptbatch, -o file (journaled)')}×, --cache cold ${timeRatio('promptbatch, --cache, cold')}×`,
	`At 200 ms latency, ${slowCount} prompts, -c ${concurrency}: undici loop ${rate(slowLoop).toFixed(0)} req/s, promptbatch ${rate(slowPb).toFixed(0)} req/s (${pairedRatio(slowLoop, slowPb, (m) => m.ms).toFixed(2)}× the loop's rate)`,
	`Start-up: node -e 0 ${median(nothing.map((m) => m.ms)).toFixed(0)} ms, --help ${median(help.map((m) => m.ms)).toFixed(0)} ms (${pairedRatio(help, nothing, (m) => m.ms).toFixed(2)}×), --version ${median(versionRuns.map((m) => m.ms)).toFixed(0)} ms (${pairedRatio(versionRuns, nothing, (m) => m.ms).toFixed(2)}×)`,
];

if (values.rounds) {
	lines.push('', 'Seconds, round by round:');
	for (const [i, s] of scenarios.entries())
		lines.push(
			`${s.name}: ${(rounds[i] as Measure[]).map((m) => (m.ms / 1000).toFixed(2)).join(' ')}`,
		);
}

if (values.scale) {
	const server = await startServer(0);
	const sizes = [100_000, 1_000_000];
	const scaleRows: string[][] = [];
	const peaks = new Map<string, number[]>();
	for (const n of sizes) {
		const file = promptsFile(n);
		const out = join(fresh('scale-'), 'out.jsonl');
		for (const [name, args, stdin] of [
			['stdin → stdout', pb(server.url, '-f', 'jsonl'), file],
			['stdin → -o', pb(server.url, '-f', 'jsonl', '-o', out), file],
			['--resume of that finished run', pb(server.url, '-f', 'jsonl', '-o', out, '--resume'), file],
		] as const) {
			const m = await measure(args, stdin);
			scaleRows.push([
				name,
				String(n),
				(m.ms / 1000).toFixed(1),
				String(Math.round(m.maxRssKb / 1024)),
			]);
			peaks.set(name, [...(peaks.get(name) ?? []), m.maxRssKb]);
		}
		rmSync(file);
		rmSync(join(out, '..'), { recursive: true, force: true });
	}
	server.stop();
	lines.push('', table(['scale', 'prompts', 'seconds', 'peak RSS MB'], scaleRows));
	for (const [name, [small, large]] of peaks)
		lines.push(`${name}: 1M / 100k peak RSS ${((large as number) / (small as number)).toFixed(2)}`);
}

process.stdout.write(`${lines.join('\n')}\n`);
rmSync(dir, { recursive: true, force: true });
