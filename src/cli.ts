import { CommanderError } from 'commander';
import { withDotenv } from './config.ts';
import { describeError, ExitCode, PromptbatchError } from './errors.ts';
import { buildProgram, parseArgs } from './program.ts';
import type { RunOptions } from './run.ts';

/** The CLI: flags in, exit code out (as process.exitCode). The library does the rest. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
	const { stdin, stdout, stderr } = process;
	const write = {
		out: (s: string) => void stdout.write(s),
		err: (s: string) => void stderr.write(s),
	};
	const interrupt = new AbortController();
	const abort = new AbortController();
	let signalCode: number = ExitCode.interrupted;
	let signals = 0;
	// First signal: stop dispatching, let requests in flight finish. Second: abort them. Third: go.
	const onSignal = (signal: NodeJS.Signals) => {
		signals++;
		if (signals === 1) {
			signalCode = signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
			stderr.write(
				`promptbatch: ${signal}: stopping; requests in flight may finish (${signal === 'SIGINT' ? 'Ctrl-C' : 'send it'} again to abort them)\n`,
			);
			interrupt.abort();
		} else if (signals === 2) {
			stderr.write(`promptbatch: ${signal} again: aborting requests in flight\n`);
			abort.abort();
		} else process.exit(signalCode);
	};
	let brokenPipe = false;
	stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') brokenPipe = true;
		abort.abort();
	});
	let options: RunOptions | undefined;
	try {
		options = parseArgs(argv, write);
		if (options.files?.length === 0 && stdin.isTTY) {
			stderr.write(buildProgram(write).helpInformation());
			stderr.write('\npromptbatch: no input: give prompt files, or pipe prompts into stdin\n');
			process.exitCode = ExitCode.usage;
			return;
		}
		process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
		const { run } = await import('./run.ts');
		const env = withDotenv(process.env, process.cwd());
		const summary = await run(options, {
			stdin,
			stdout,
			stderr,
			env,
			interrupt: interrupt.signal,
			abort: abort.signal,
		});
		if (brokenPipe) process.exitCode = 141;
		else if (summary.interrupted) {
			const done = summary.ok + summary.failed;
			const of = summary.total === undefined ? '' : ` of ${summary.total}`;
			const left = summary.total === undefined ? '' : `, ${summary.total - done} to go`;
			stderr.write(`promptbatch: ${done}${of} prompts done${left}\n`);
			stderr.write(`${resumeHint(argv, options)}\n`);
			process.exitCode = signalCode;
		} else process.exitCode = summary.failed > 0 ? ExitCode.someFailed : ExitCode.ok;
	} catch (error) {
		process.exitCode = exitCodeFor(error, brokenPipe, write.err);
		const stoppedEarly =
			error instanceof PromptbatchError && (error.exitCode === 1 || error.exitCode === 3);
		if (options && stoppedEarly) stderr.write(`${resumeHint(argv, options)}\n`);
	} finally {
		process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
		// A read from stdin left blocked by a stop would keep the process alive.
		stdin.destroy();
	}
}

/** The exact command that finishes the run, or what to do so that a run can be finished. */
export function resumeHint(argv: readonly string[], options: RunOptions): string {
	if (options.output === undefined)
		return 'promptbatch: results went to stdout; with -o FILE a run can be resumed with --resume';
	const args = argv.includes('--resume') ? argv : [...argv, '--resume'];
	return `promptbatch: to finish the run: ${['promptbatch', ...args].map(shellQuote).join(' ')}`;
}

function shellQuote(arg: string): string {
	return /^[\w./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** The one place errors become exit codes and messages. */
function exitCodeFor(error: unknown, brokenPipe: boolean, err: (s: string) => void): number {
	if (brokenPipe) return 141;
	if (error instanceof CommanderError) {
		return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
			? ExitCode.ok
			: ExitCode.usage;
	}
	if (error instanceof PromptbatchError) {
		err(`promptbatch: ${describeError(error)}\n`);
		return error.exitCode;
	}
	err(
		`promptbatch: internal error (please report it): ${(error as Error)?.stack ?? String(error)}\n`,
	);
	return 1;
}
