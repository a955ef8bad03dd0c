/**
 * `npm run bench`: promptbatch's overhead against a bare fetch script (bench/baseline.ts), both
 * run as processes against the same zero-latency mock server in the same run, so the numbers
 * are ratios that hold from machine to machine. The mock answers at once, which makes this a
 * measure of our own per-request cost: with a real API, network time dwarfs it.
 *
 * Options: --prompts N (default 5000), --concurrency N (default 64), --repeat N (default 3; the
 * fastest of N runs counts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockServer } from '../src/mock/server.ts';

const { values } = parseArgs({
	options: {
		prompts: { type: 'string', default: '5000' },
		concurrency: { type: 'string', default: '64' },
		repeat: { type: 'string', default: '3' },
	},
});
const count = Number(values.prompts);
const concurrency = values.concurrency;
const repeat = Number(values.repeat);

const bin = fileURLToPath(new URL('../bin/promptbatch.js', import.meta.url));
const baseline = fileURLToPath(new URL('./baseline.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'promptbatch-bench-'));
const input = join(dir, 'prompts.txt');
const prompts = Array.from({ length: count }, (_, i) => `prompt number ${i + 1}`).join('\n');
writeFileSync(input, prompts);
const server = await startMockServer();
const env = { PATH: process.env.PATH ?? '', HOME: dir, OPENAI_API_KEY: 'bench' };

/** Wall time of one process, in ms; it must exit 0. */
function time(args: readonly string[], stdin = ''): Promise<number> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const child = spawn(process.execPath, args, {
			env,
			cwd: dir,
			stdio: ['pipe', 'ignore', 'pipe'],
		});
		let stderr = '';
		child.stderr.on('data', (chunk) => {
			stderr += chunk;
		});
		child.on('close', (code) =>
			code === 0
				? resolve(performance.now() - started)
				: reject(new Error(`${args.join(' ')}: exit ${code}\n${stderr}`)),
		);
		child.stdin.end(stdin);
	});
}

/** The fastest of `repeat` runs; `args` is called for each, so that a run can get a fresh directory. */
async function fastest(args: () => readonly string[], stdin = ''): Promise<number> {
	let best = Number.POSITIVE_INFINITY;
	for (let i = 0; i < repeat; i++) best = Math.min(best, await time(args(), stdin));
	return best;
}

const cli = (...args: string[]) => [
	bin,
	'--base-url',
	server.url,
	'-c',
	concurrency,
	'-q',
	...args,
	input,
];
const fresh = (prefix: string) => mkdtempSync(join(dir, prefix));
const warmCache = `--cache=${fresh('warm-')}`;
const finished = join(fresh('done-'), 'out.jsonl');

const scenarios: [string, () => Promise<number>][] = [
	[
		'baseline: bare fetch script',
		() => fastest(() => [baseline, server.url, concurrency], prompts),
	],
	['promptbatch, text to stdout', () => fastest(() => cli())],
	['promptbatch, jsonl to stdout', () => fastest(() => cli('-f', 'jsonl'))],
	[
		'promptbatch, -o file (journaled)',
		() => fastest(() => cli('-f', 'jsonl', '-o', join(fresh('out-'), 'out.jsonl'))),
	],
	[
		'promptbatch, --cache, cold',
		() => fastest(() => cli('-f', 'jsonl', `--cache=${fresh('cold-')}`)),
	],
	[
		'promptbatch, --cache, warm (no requests)',
		async () => {
			await time(cli('-f', 'jsonl', warmCache));
			return fastest(() => cli('-f', 'jsonl', warmCache));
		},
	],
	[
		'promptbatch, --resume of a finished run (no requests)',
		async () => {
			await time(cli('-f', 'jsonl', '-o', finished));
			return fastest(() => cli('-f', 'jsonl', '-o', finished, '--resume'));
		},
	],
];

const rows: string[] = [];
let base = 0;
for (const [name, measure] of scenarios) {
	const ms = await measure();
	if (base === 0) base = ms;
	rows.push(
		`| ${name} | ${(ms / 1000).toFixed(2)} | ${Math.round((count / ms) * 1000)} | ${(ms / base).toFixed(2)} |`,
	);
}
await server.close();
process.stdout.write(
	`${count} prompts, concurrency ${concurrency}, fastest of ${repeat}, node ${process.version}\n\n| scenario | seconds | prompts/s | time vs baseline |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`,
);

// Reading is linear in the input however it is cut into lines: the same 30 MB as one line
// and as 300,000 short ones, each read and turned into request bodies by --dry-run.
const oneLine = join(dir, 'one-line.txt');
writeFileSync(oneLine, `${'x'.repeat(29_999_999)}\n`);
const shortLines = join(dir, 'short-lines.txt');
writeFileSync(shortLines, `${'x'.repeat(99)}\n`.repeat(300_000));
const shortMs = await fastest(() => [bin, '--dry-run', '-q', shortLines]);
const longMs = await fastest(() => [bin, '--dry-run', '-q', oneLine]);
process.stdout.write(
	`\n| 30 MB of input, --dry-run | seconds | time vs short lines |\n| --- | --- | --- |\n| 300,000 lines of 100 bytes | ${(shortMs / 1000).toFixed(2)} | 1.00 |\n| one line | ${(longMs / 1000).toFixed(2)} | ${(longMs / shortMs).toFixed(2)} |\n`,
);
