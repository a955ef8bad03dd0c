import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { homeEnv, ROOT, tempDir } from '../helpers/cli.ts';

function sh(command: string, args: string[], cwd: string, input?: string) {
	const result = spawnSync(command, args, {
		cwd,
		encoding: 'utf8',
		input,
		timeout: 120_000,
		env: { ...process.env, ...homeEnv() },
	});
	assert.equal(
		result.status,
		0,
		`${command} ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`,
	);
	return result.stdout;
}

test('the packed tarball, installed, is a working CLI and an importable library', {
	timeout: 240_000,
}, () => {
	// Pack a copy without dist/, as a fresh clone is: the tarball must build its own.
	const dir = tempDir();
	const source = join(dir, 'source');
	mkdirSync(source);
	for (const name of [
		'package.json',
		'package-lock.json',
		'tsconfig.json',
		'tsconfig.build.json',
	]) {
		cpSync(join(ROOT, name), join(source, name));
	}
	for (const name of ['README.md', 'src', 'bin']) {
		cpSync(join(ROOT, name), join(source, name), { recursive: true });
	}
	symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
	sh('npm', ['pack', '--silent', '--pack-destination', dir], source);
	const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
	assert.ok(tarball, 'npm pack wrote a tarball');

	const app = join(dir, 'app');
	mkdirSync(app);
	writeFileSync(join(app, 'package.json'), '{"name": "app", "private": true, "type": "module"}\n');
	sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], app);

	const imported = sh(
		process.execPath,
		['-e', "import('promptbatch').then(m => console.log(typeof m.run, typeof m.ExitCode))"],
		app,
	);
	assert.equal(imported, 'function object\n');
	const answered = sh(
		join(app, 'node_modules', '.bin', 'promptbatch'),
		['--mock', '-q'],
		app,
		'hi\n',
	);
	assert.equal(answered, '[1] hi\n');
});
