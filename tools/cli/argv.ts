import type { OptionSpec } from './commands.ts';

/** An argument and where it stood on the command line. */
export interface Arg {
  readonly index: number;
  readonly value: string;
}

export interface SortedArgs {
  /** Options in `parseArgs` form; a string option's separate value is joined as `--name=value`. */
  readonly options: readonly string[];
  readonly positionals: readonly Arg[];
  /** Arguments that start with '-' but are no option here: unknown options, or ids and tokens starting with '-'. */
  readonly strays: readonly Arg[];
  /** String options given without a value. */
  readonly missingValues: readonly string[];
}

/**
 * Sorts the command line into options, positionals and strays before `parseArgs` sees it. Client ids,
 * tokens and secrets are base64url, so one in 64 starts with '-': `parseArgs` alone would take such a
 * value for an option (or refuse it after `--client-id`), and a stray gets the chance to be the id or
 * token the command expects.
 */
export function sortArgs(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): SortedArgs {
  const shorts = new Map(
    Object.entries(options).flatMap(([name, option]) => (option.short ? [[`-${option.short}`, name]] : [])),
  );
  const optionName = (arg: string): string | undefined => {
    if (shorts.has(arg)) return shorts.get(arg);
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : undefined;
    return name && Object.hasOwn(options, name) ? name : undefined;
  };
  const sorted: string[] = [];
  const positionals: Arg[] = [];
  const strays: Arg[] = [];
  const missingValues: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const value = argv[index] ?? '';
    if (value === '--') {
      positionals.push(
        ...argv.slice(index + 1).map((rest, offset) => ({ index: index + 1 + offset, value: rest })),
      );
      break;
    }
    if (value.length < 2 || !value.startsWith('-')) {
      positionals.push({ index, value });
      continue;
    }
    const name = optionName(value);
    if (name === undefined) {
      strays.push({ index, value });
      continue;
    }
    if (options[name]?.type !== 'string' || value.includes('=')) {
      sorted.push(value);
      continue;
    }
    // The value is whatever follows, even if it starts with '-', unless that is an option itself.
    const next = argv[index + 1];
    if (next === undefined || next === '--' || optionName(next) !== undefined) {
      missingValues.push(`--${name}`);
      continue;
    }
    sorted.push(`--${name}=${next}`);
    index++;
  }
  return { options: sorted, positionals, strays, missingValues };
}
