import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { BIN, homeEnv, SECRET_KEY, withFiles } from '../helpers/cli.ts';

// util-linux `script` gives the CLI a real pseudo-terminal for stdin, stdout and stderr.
const hasScript = spawnSync('script', ['--version']).status === 0;
const skip = hasScript ? false : 'needs util-linux script(1) for a pseudo-terminal';

function inTerminal(command: string, env: Record<string, string> = {}) {
	const dir = withFiles({ 'p.txt': 'alpha\nbeta [[delay:300]]\n' });
	const result = spawnSync('script', ['-qec', command, '/dev/null'], {
		cwd: dir,
		encoding: 'utf8',
		timeout: 20_000,
		env: {
			PATH: process.env.PATH ?? '',
			...homeEnv(),
			OPENAI_API_KEY: SECRET_KEY,
			TERM: 'xterm-256color',
			...env,
		},
	});
	return { code: result.status, output: result.stdout, timedOut: result.error !== undefined };
}

/** The text without ANSI escape sequences. */
function plain(text: string): string {
	return text.replace(/\u001b\[[?\d;]*[A-Za-z]/g, '');
}

const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;

test('with a terminal on stdin and no files, a short usage that says how to give prompts, and exit 2', {
	skip,
}, () => {
	const { code, output } = inTerminal(cli);
	assert.equal(code, 2);
	const lines = output.trimEnd().split(/\r?\n/);
	assert.equal(lines[0], 'Usage: promptbatch [options] [files...]');
	assert.ok(lines.length <= 8, `${lines.length} lines:\n${output}`);
	assert.match(output, /no input: pipe prompts in, or name files of prompts/);
	assert.match(output, /cat prompts\.txt \| promptbatch/);
	assert.match(lines.at(-1) ?? '', /promptbatch --help/);
});

test("the spinner's colour follows stderr's terminal, whatever stdout is", { skip }, () => {
	const { code, output } = inTerminal(`stty cols 100; ${cli} --mock p.txt > out.txt`);
	assert.equal(code, 0, output);
	assert.match(output, /\u001b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, 'a cyan spinner frame');
});

test('FORCE_COLOR with NO_COLOR: colour, and no warning from Node', { skip }, () => {
	const { code, output } = inTerminal(`stty cols 100; ${cli} --mock p.txt`, {
		FORCE_COLOR: '1',
		NO_COLOR: '1',
	});
	assert.equal(code, 0, output);
	assert.doesNotMatch(output, /Warning|NO_COLOR/);
	assert.match(output, /\u001b\[3\dm/, 'colour');
});

test('on a terminal: a coloured spinner on stderr, the results still plain', { skip }, () => {
	const { code, output } = inTerminal(`stty cols 100; ${cli} --mock p.txt`);
	assert.equal(code, 0, output);
	assert.match(plain(output), /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \d+% \d+\/2 done/);
	assert.match(output, /\u001b\[3\dm/, 'colour');
	// ora clears its line before each result is written (or clears it and shows the cursor
	// when it stops before the last), so every result line stands whole.
	assert.match(output, /\u001b\[0K(\u001b\[\?25h)?\[1\] alpha\r\n/);
	assert.match(output, /\u001b\[0K(\u001b\[\?25h)?\[2\] beta \[\[delay:300\]\]\r\n/);
});

test('NO_COLOR keeps the spinner but drops colour', { skip }, () => {
	const { code, output } = inTerminal(`stty cols 100; ${cli} --mock p.txt`, { NO_COLOR: '1' });
	assert.equal(code, 0, output);
	assert.match(output, /\d+\/2 done/);
	assert.doesNotMatch(output, /\u001b\[3\dm/);
});

test('TERM=dumb and a terminal of 0 columns get plain lines, never a spinner (ora would spin forever)', {
	skip,
}, () => {
	for (const [setup, env] of [
		['stty cols 100;', { TERM: 'dumb' }],
		['stty cols 0;', {}],
	] as const) {
		const { code, output, timedOut } = inTerminal(`${setup} ${cli} --mock p.txt`, env);
		assert.equal(timedOut, false);
		assert.equal(code, 0, output);
		assert.doesNotMatch(output, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
		assert.match(plain(output), /promptbatch: done: 2 ok/);
	}
});

test('--quiet on a terminal: results only', { skip }, () => {
	const { code, output } = inTerminal(`stty cols 100; ${cli} --mock -q p.txt`);
	assert.equal(code, 0, output);
	assert.equal(output.replace(/\r/g, ''), '[1] alpha\n[2] beta [[delay:300]]\n');
});
