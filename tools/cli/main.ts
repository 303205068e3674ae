import { parseArgs } from 'node:util';
import { adminRequest } from '#tools/admin-client.ts';
import { sortArgs } from './argv.ts';
import {
  COMMANDS,
  type CommandSpec,
  GLOBAL_OPTIONS,
  GROUPS,
  type OptionSpec,
  UsageError,
} from './commands.ts';
import { BIN, commandHelp, groupHelp, PROGRAM, topHelp } from './help.ts';
import { runRedrive } from './redrive.ts';
import { runReindex } from './reindex.ts';
import { resolveTarget, signingCredentials, type Target } from './target.ts';

/** Where the CLI writes; the process streams in `bin/admin.ts`. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure after the arguments were accepted: API error, network, credentials. */
class CallError extends Error {
  /** What to check, printed on a line of its own after the error. */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * What to check after a 403 from the admin API: the gateway (or the local server) refused the signature
 * or the signer, and the response says no more than "Forbidden". The usual causes, most likely first.
 */
function forbiddenHint(target: Target, accessKeyId: string): string {
  const key = `access key ${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
  return target.local
    ? `check: the local admin pair (ADMIN_ACCESS_KEY_ID/ADMIN_SECRET_ACCESS_KEY, signed here with ${key}) is the one the server was started with, and the region is us-east-1`
    : `check: the credentials that signed (${key}; AWS_PROFILE or the AWS_* variables) may call execute-api:Invoke on the admin routes (the stack's adminPrincipalArns), the region ${target.region} is the API's, and this machine's clock is within 5 minutes of the real time (SigV4 signatures expire)`;
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

const toParseArgs = (options: Readonly<Record<string, OptionSpec>>): ParseArgsOptions =>
  Object.fromEntries(
    Object.entries(options).map(([name, { type, short }]) => [name, short ? { type, short } : { type }]),
  );

/** Every option any command knows, so the first pass consumes option values and finds the command words. */
const ALL_OPTIONS = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...COMMANDS.map((command) => command.options),
) as Record<string, OptionSpec>;

const findCommand = (group: string | undefined, name: string | undefined) =>
  COMMANDS.find((command) => command.group === group && command.name === name);

/** The help a `help ...` or `--help` invocation asks for: as specific as the words given allow. */
function helpFor(words: readonly (string | undefined)[]): string {
  const [group, name] = words;
  const command = findCommand(group, name);
  if (command) return commandHelp(command);
  if (group !== undefined && Object.hasOwn(GROUPS, group)) return groupHelp(group);
  return topHelp();
}

/** The API's own message for a failed call: admin `{message}`, OAuth `{error_description}`, Apigee `{message}`. */
function apiMessage(status: number, json: unknown): string {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const text = [body.message, body.error_description, body.error].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return `${text ?? 'request failed'} (HTTP ${status})`;
}

/** One line: the cause chain of a fetch or credential failure, which says more than "fetch failed". */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error && parts.length < 3; current = current.cause) {
    parts.push(current.message);
  }
  return (parts.join(': ') || String(error)).replace(/\s+/g, ' ').trim();
}

async function execute(
  command: CommandSpec,
  values: Record<string, string | boolean | undefined>,
  args: string[],
  io: CliIo,
) {
  const call = command.request(values, args);
  const target = resolveTarget(values, io.env);
  let credentials: Awaited<ReturnType<typeof signingCredentials>>;
  try {
    credentials = await signingCredentials(target, io.env);
  } catch (error) {
    throw new CallError(`no AWS credentials to sign with: ${describe(error)}`);
  }
  let response: Awaited<ReturnType<typeof adminRequest>>;
  try {
    response = await adminRequest(target.baseUrl, call.method, call.path, credentials, {
      ...(call.body && { body: call.body }),
      ...(call.headers && { headers: call.headers }),
      region: target.region,
    });
  } catch (error) {
    // The origin only: the path may hold a token.
    throw new CallError(`cannot reach ${new URL(target.baseUrl).origin}: ${describe(error)}`);
  }
  if (response.status >= 400) {
    const hint = response.status === 403 ? forbiddenHint(target, credentials.accessKeyId) : undefined;
    throw new CallError(apiMessage(response.status, response.json), hint);
  }
  if (response.json !== undefined) io.stdout(`${JSON.stringify(response.json, null, 2)}\n`);
}

const seeHelp = (command: CommandSpec) => `see '${PROGRAM} ${command.group} ${command.name} --help'`;

/**
 * Runs one CLI invocation and returns its exit code. Never throws: every failure becomes one line on
 * stderr, with any token given as an argument masked.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let secrets: string[] = [];
  const fail = (code: number, message: string) => {
    const masked = secrets.reduce(
      (text, secret) => (secret ? text.split(secret).join('[token]') : text),
      message,
    );
    io.stderr(`${BIN}: ${masked.split('\n')[0]}\n`);
    return code;
  };
  // Not an admin API call: it talks to SQS, EventBridge, the stream and Lambda with AWS credentials.
  if (argv[0] === 'events' && argv[1] === 'redrive') return runRedrive(argv.slice(2), io);
  // Not an admin API call either: a one-off migration straight on the table.
  if (argv[0] === 'clients' && argv[1] === 'reindex') return runReindex(argv.slice(2), io);
  try {
    // First pass, against every option any command takes: the command words, and whether help was asked.
    const first = sortArgs(argv, ALL_OPTIONS);
    const words = first.positionals.map((arg) => arg.value);
    const [group, name] = words;
    if (group === 'help') {
      io.stdout(helpFor(words.slice(1)));
      return EXIT.ok;
    }
    const asked = parseArgs({ args: [...first.options], options: toParseArgs(ALL_OPTIONS), strict: false });
    if (asked.values.help === true) {
      io.stdout(helpFor([group, name]));
      return EXIT.ok;
    }
    if (group === undefined) {
      io.stderr(topHelp());
      return EXIT.usage;
    }
    if (!Object.hasOwn(GROUPS, group))
      return fail(EXIT.usage, `unknown command '${group}'; see '${PROGRAM} --help'`);
    if (name === undefined) {
      io.stderr(groupHelp(group));
      return EXIT.usage;
    }
    const command = findCommand(group, name);
    if (!command)
      return fail(EXIT.usage, `unknown subcommand '${group} ${name}'; see '${PROGRAM} ${group} --help'`);
    const see = seeHelp(command);

    // Second pass, against this command's options.
    const own = { ...GLOBAL_OPTIONS, ...command.options };
    const second = sortArgs(argv, own);
    const [missingValue] = second.missingValues;
    if (missingValue) return fail(EXIT.usage, `${missingValue} needs a value; ${see}`);
    const commandWords = new Set(first.positionals.slice(0, 2).map((arg) => arg.index));
    const given = second.positionals.filter((arg) => !commandWords.has(arg.index));
    if (command.secretArgs) secrets = [...given, ...second.strays].map((arg) => arg.value);
    // Strays first fill the arguments still missing: an id or token that starts with '-'.
    const free = Math.max(0, command.args.length - given.length);
    const stray = second.strays[free];
    if (stray)
      return fail(
        EXIT.usage,
        // A token that looks like an option must not be echoed.
        command.secretArgs
          ? `unknown option or too many arguments; ${see}`
          : `unknown option '${stray.value}' for '${group} ${name}'; ${see}`,
      );
    const args = [...given, ...second.strays.slice(0, free)]
      .sort((a, b) => a.index - b.index)
      .map((arg) => arg.value);
    // Strict: a missing option value, or a value given to a flag, is a usage error.
    const parsed = parseArgs({
      args: [...second.options, '--', ...args],
      options: toParseArgs(own),
      strict: true,
      allowPositionals: true,
    });
    if (parsed.positionals.length < command.args.length)
      return fail(EXIT.usage, `missing ${command.args.slice(parsed.positionals.length).join(' ')}; ${see}`);
    if (parsed.positionals.length > command.args.length)
      return fail(EXIT.usage, `too many arguments; ${see}`);
    await execute(command, parsed.values, parsed.positionals, io);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) return fail(EXIT.usage, error.message);
    if (error instanceof CallError) {
      const code = fail(EXIT.failed, error.message);
      if (error.hint) io.stderr(`${BIN}: ${error.hint}\n`);
      return code;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
      return fail(EXIT.usage, error.message);
    return fail(EXIT.failed, `unexpected error: ${describe(error)}`);
  }
}
