import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, GROUPS, type OptionSpec } from './commands.ts';

/** The package.json `bin` name; prefixes error lines. */
export const BIN = 'revocation-admin';
/** How users run it from a clone (npm runs a package's own bin from inside it); shown in usage lines. */
export const PROGRAM = `npx ${BIN}`;

const WIDTH = 104;

/** Breaks text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** Two columns; the right one wrapped and indented under itself. */
const pad = (rows: readonly (readonly [string, string])[]) => {
  const width = Math.max(...rows.map(([left]) => left.length));
  const indent = ' '.repeat(width + 4);
  return rows
    .map(([left, right]) =>
      wrap(right, Math.max(40, WIDTH - indent.length))
        .map((line, i) => (i === 0 ? `  ${left.padEnd(width)}  ${line}` : `${indent}${line}`))
        .join('\n'),
    )
    .join('\n');
};

const optionRows = (options: Readonly<Record<string, OptionSpec>>) =>
  Object.entries(options).map(
    ([name, option]) =>
      [
        `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`,
        option.description,
      ] as const,
  );

const usageOf = (command: CommandSpec) =>
  [command.group, command.name, ...command.args, Object.keys(command.options).length > 0 ? '[options]' : '']
    .filter((part) => part !== '')
    .join(' ');

const SIGNING = `Signing: calls to a deployed API are signed with the standard AWS credential chain
(environment, ~/.aws profiles and SSO, web identity, container and instance roles); the caller needs
execute-api:Invoke on the admin routes. Calls to the local server (--local, or a localhost or 127.0.0.1
URL) are signed with $ADMIN_ACCESS_KEY_ID / $ADMIN_SECRET_ACCESS_KEY (default LOCALADMIN /
localadminsecret) for region us-east-1; --local without a URL means http://localhost:$PORT (port 3000
when PORT is unset), the address npm start listens on.`;

const FOOTER = `Results are printed as JSON on stdout, errors as one line on stderr.
Exit codes: 0 success, 1 the call failed (API error, network, credentials), 2 usage error.`;

/** Top-level help: every command. */
export function topHelp(): string {
  return `Usage: ${PROGRAM} <command> <subcommand> [arguments] [options]

Manages the token revocation service's clients and tokens through its admin API (AWS SigV4 signed).

Commands:
${pad([...COMMANDS.map((command) => [usageOf(command), command.summary] as const), ['events redrive --queue-url URL', 'put the on-failure queue back into the service (AWS credentials)'], ['clients reindex --table NAME', 'once after upgrading to v3: list older clients too (AWS credentials)'], ['help [COMMAND [SUBCOMMAND]]', 'show help']])}

Options (every command):
${pad(optionRows(GLOBAL_OPTIONS))}

${SIGNING}

Examples:
  ${PROGRAM} clients create --local --name app --grant-types client_credentials,refresh_token --scopes read,write
  REVOCATION_API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com ${PROGRAM} clients get CLIENT_ID

${FOOTER}
`;
}

/** Help for one group (`clients`, `tokens`). */
export function groupHelp(group: string): string {
  const commands = COMMANDS.filter((command) => command.group === group);
  return `Usage: ${PROGRAM} ${group} <subcommand> [arguments] [options]

${GROUPS[group] ?? ''}

Subcommands:
${pad(commands.map((command) => [usageOf(command), command.summary] as const))}

Run '${PROGRAM} ${group} <subcommand> --help' for its options.
`;
}

/** Help for one command. */
export function commandHelp(command: CommandSpec): string {
  const own =
    Object.keys(command.options).length > 0 ? `Options:\n${pad(optionRows(command.options))}\n\n` : '';
  return `Usage: ${PROGRAM} ${usageOf(command)}

${wrap(command.description, WIDTH).join('\n')}

${own}Target options (see '${PROGRAM} --help' for how calls are signed):
${pad(optionRows(GLOBAL_OPTIONS))}

Examples:
${command.examples.map((example) => `  ${PROGRAM} ${example}`).join('\n')}

${FOOTER}
`;
}
