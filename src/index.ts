/**
 * promptbatch as a library: `run()` does what the CLI does, with the streams, environment and
 * stop signals passed in, and resolves a summary however the run ends.
 */

export type { Environment } from './core/config.ts';
export {
	ConfigError,
	ExitCode,
	errorLine,
	FatalRunError,
	HaltError,
	InputError,
	OutputClosedError,
	PromptbatchError,
	ResumeError,
	UsageError,
} from './core/errors.ts';
export { DEFAULTS, type HaltPolicy, type RunOptions } from './core/options.ts';
export type { ChatMessage, ErrorInfo, ResultRecord, Usage } from './core/types.ts';
export { type RunIO, run } from './run/run.ts';
export type { RunSummary } from './run/summary.ts';
