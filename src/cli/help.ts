import { readFileSync } from 'node:fs';
import { VERSION as SDK_VERSION } from 'openai/version';

// What --help prints after the options, what --version prints, and the short usage.

/** What a bare `promptbatch` on a terminal says, instead of waiting for typed prompts. */
export const NO_INPUT = `Usage: promptbatch [options] [files...]

promptbatch: no input: pipe prompts in, or name files of prompts:
  cat prompts.txt | promptbatch
  promptbatch prompts.txt
  promptbatch --mock prompts.txt    (no key needed: a built-in server echoes them)
Run promptbatch --help for every option.
`;

export const HELP_FOOTER = `
Environment:
  OPENAI_API_KEY       the API key (also read from .env; never a flag; a server
                       on localhost needs none)
  OPENAI_BASE_URL      default for --base-url
  OPENAI_ORG_ID, OPENAI_PROJECT_ID   sent as the organization and project
  PROMPTBATCH_MODEL    default for --model

Exit codes:
  0    every prompt succeeded
  1    one or more prompts failed (their records say why), or --halt stopped the run
  2    usage, input or configuration error (nothing was sent)
  3    run aborted: key rejected, quota or billing exhausted, the first requests
       all failing alike, a batch failing validation, output unwritable
  75   --no-wait: batches are still running; run the printed command later
  129  the terminal closed (SIGHUP)
  130  interrupted (143 for SIGTERM)
  141  stdout was closed before every result was written (e.g. by | head)

Examples:
  cat prompts.txt | promptbatch -m gpt-4o-mini > answers.txt
  promptbatch -t 'Classify: {{text}}' -f jsonl -o out.jsonl rows.jsonl
  # killed? the same command with --resume sends only the rest:
  promptbatch -t 'Classify: {{text}}' -f jsonl -o out.jsonl rows.jsonl --resume
  promptbatch --mock prompts.txt`;

/** Ours, and what a bug report needs beside it: the Node.js and openai SDK versions. */
export function version(): string {
	const ours = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
	return `promptbatch ${ours.version} (node ${process.version}, openai ${SDK_VERSION})`;
}
