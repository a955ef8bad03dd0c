import { withDotenv } from '../core/config.ts';
import { ExitCode, errorLine } from '../core/errors.ts';
import type { RunOptions } from '../core/options.ts';
import { shellQuote } from '../core/text.ts';
import type { RunSummary } from '../run/summary.ts';
import { keepFootprintSmall } from './footprint.ts';
import { NO_INPUT } from './help.ts';
import { shortcut } from './shortcut.ts';

/** The CLI: flags in, exit code out (as process.exitCode). The library does the rest. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
	const { stdin, stdout, stderr } = process;
	const write = {
		out: (s: string) => void stdout.write(s),
		err: (s: string) => void stderr.write(s),
	};
	const interrupt = new AbortController();
	const abort = new AbortController();
	let signal: NodeJS.Signals | undefined;
	let signals = 0;
	// First signal: stop dispatching, let requests in flight finish. Second: abort them. Third: go.
	const onSignal = (received: NodeJS.Signals) => {
		signals++;
		if (signals === 1) {
			signal = received;
			stderr.write(
				`promptbatch: ${received}: stopping; requests in flight may finish (${received === 'SIGINT' ? 'Ctrl-C' : 'send it'} again to abort them)\n`,
			);
			interrupt.abort();
		} else if (signals === 2) {
			stderr.write(`promptbatch: ${received} again: aborting requests in flight\n`);
			abort.abort();
		} else process.exit(signalExitCode(signal));
	};
	// The run's output stops at its next write on a stdout error (EPIPE: exit 141; a full disk:
	// exit 3). stderr that went away (`2>&1 | head`, a closed terminal) is no reason to stop:
	// messages have nowhere to go, the results still do.
	let brokenPipe = false;
	stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') brokenPipe = true;
	});
	stderr.on('error', () => {});
	const shown = shortcut(argv, stdout.isTTY === true);
	if (shown !== undefined) {
		stdout.write(shown);
		return;
	}
	let options: RunOptions;
	const [{ CommanderError }, { parseArgs }] = await Promise.all([
		import('commander'),
		import('./program.ts'),
	]);
	try {
		const parsed = parseArgs(argv, write);
		options = parsed.options;
		for (const warning of parsed.warnings) stderr.write(`promptbatch: warning: ${warning}\n`);
	} catch (error) {
		if (!(error instanceof CommanderError)) throw error;
		const shown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
		process.exitCode = shown ? ExitCode.ok : ExitCode.usage;
		return;
	}
	if (options.files?.length === 0 && stdin.isTTY) {
		stderr.write(NO_INPUT);
		process.exitCode = ExitCode.usage;
		return;
	}
	process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal);
	keepFootprintSmall();
	try {
		const { run } = await import('../run/run.ts');
		const summary = await run(options, {
			stdin,
			stdout,
			stderr,
			env: withDotenv(process.env, process.cwd()),
			interrupt: interrupt.signal,
			abort: abort.signal,
		});
		process.exitCode = brokenPipe ? ExitCode.brokenPipe : exitCode(summary, signal);
		// Whoever closed our stdout (`| head`) wants no more from us, as with SIGPIPE.
		if (process.exitCode === ExitCode.brokenPipe) return;
		if (summary.error) stderr.write(`promptbatch: ${errorLine(summary.error)}\n`);
		if (summary.end === 'interrupted') {
			const done = summary.ok + summary.failed;
			const of = summary.total === undefined ? '' : ` of ${summary.total}`;
			const left = summary.total === undefined ? '' : `, ${summary.total - done} to go`;
			stderr.write(`promptbatch: ${done}${of} prompts done${left}\n`);
		}
		if (summary.end === 'pending')
			stderr.write(
				'promptbatch: batches are still running on the server; collect their results later\n',
			);
		if (['interrupted', 'aborted', 'halted', 'pending'].includes(summary.end))
			stderr.write(`${resumeHint(argv, options)}\n`);
	} catch (error) {
		process.exitCode = brokenPipe ? ExitCode.brokenPipe : 1;
		if (!brokenPipe)
			stderr.write(
				`promptbatch: internal error (please report it): ${(error as Error)?.stack ?? String(error)}\n`,
			);
	} finally {
		process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal);
		// A read from stdin left blocked by a stop would keep the process alive.
		stdin.destroy();
	}
}

/** The exit code for a run's summary: the one place a run's end becomes a number. */
export function exitCode(summary: RunSummary, signal: NodeJS.Signals | undefined): number {
	if (summary.error) return summary.error.exitCode;
	if (summary.end === 'interrupted') return signalExitCode(signal);
	if (summary.end === 'pending') return ExitCode.pending;
	return summary.failed > 0 ? ExitCode.someFailed : ExitCode.ok;
}

function signalExitCode(signal: NodeJS.Signals | undefined): number {
	if (signal === 'SIGTERM') return ExitCode.terminated;
	return signal === 'SIGHUP' ? ExitCode.hangup : ExitCode.interrupted;
}

/** The exact command that finishes the run, or what to do so that a run can be finished. */
export function resumeHint(argv: readonly string[], options: RunOptions): string {
	// A batch run to stdout keeps its batches in a state file that the same command finds.
	if (options.output === undefined && options.batch)
		return `promptbatch: to collect the results: ${['promptbatch', ...argv].map(shellQuote).join(' ')}`;
	if (options.output === undefined)
		return 'promptbatch: results went to stdout; with -o FILE a run can be resumed with --resume';
	const resuming = argv.includes('--resume') || argv.includes('--resume-failed');
	const args = resuming ? argv : [...argv, '--resume'];
	return `promptbatch: to finish the run: ${['promptbatch', ...args].map(shellQuote).join(' ')}`;
}
