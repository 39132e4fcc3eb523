/**
 * `synor`: the local agent from a terminal or a script. It reads the agent's kept address in the data folder
 * (server/local-address.ts; SYNOR_HOME as the agent uses it) and calls the same API the page does.
 * Usage: synor [--json] <command> …   (synor help lists them)
 */
import { homedir } from 'node:os';
import { appPaths } from '../core/paths.js';
import { COMMANDS } from './commands.js';
import { EXIT, usage, type Reply } from './reply.js';

const HELP = `Usage: synor [--json] [--all] <command>

  status                     what the agent is doing, and why
  share on|off               turn sharing on or off
  pause <duration>|off       pause sharing for 90m, 2h30m, 1d…; off resumes
  settings get [key]         every setting, or one (dotted keys: power.mode)
  settings set key=value …   change settings
  earnings                   what this computer earned
  devices                    the devices found and whether they can share
  token rotate               a new token: old links and scripts stop working
  fleet list                 the machines paired with this one (status, earnings), and the broker
  fleet pair                 show a one-time code another machine joins with
  fleet join <addr> <code>   join the fleet of the machine at addr (host:port)
  fleet revoke <id>          end a pairing (from either side)
  fleet share on|off <ids|--all>        turn sharing on or off on members
  fleet pause <duration>|off <ids|--all> pause members, or end their pause

--json prints the agent's answer as JSON, for scripts.
Exit codes: 0 done, 1 the agent refused (the reason is printed; for a fleet command, some machine did not take it),
2 wrong usage, 3 the agent is not running.`;

const FLAGS: Record<string, 'json' | 'all' | 'help'> = { '--json': 'json', '--all': 'all', '--help': 'help', '-h': 'help' };

/**
 * The flags anywhere, and the command's words. Only the three flags are options: after the command's name a word
 * beginning with '-' is one of its words, since a machine's id is base64url and starts with '-' once in 64.
 */
function split(argv: string[]): { flags: Set<string>; words: string[] } | null {
  const flags = new Set<string>();
  const words: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return { flags, words: [...words, ...argv.slice(i + 1)] };
    const flag = Object.hasOwn(FLAGS, arg) ? FLAGS[arg] : undefined;
    if (flag) flags.add(flag);
    else if (arg.startsWith('-') && words.length === 0) return null;
    else words.push(arg);
  }
  return { flags, words };
}

async function run(argv: string[]): Promise<Reply & { asJson: boolean }> {
  const parsed = split(argv);
  if (!parsed) return { ...usage('The only options are --json, --all and --help.'), asJson: false };
  const asJson = parsed.flags.has('json');
  const [name, ...args] = parsed.words;
  if (parsed.flags.has('help') || name === 'help') return { exit: EXIT.ok, text: HELP, asJson: false };
  if (name === undefined) return { exit: EXIT.usage, text: HELP, asJson: false };
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return { ...usage(`There is no command "${name}".`), asJson: false };
  const { dataDir } = appPaths(process.platform, process.env, homedir());
  return { ...(await command(args, { dataDir, now: Date.now(), all: parsed.flags.has('all') })), asJson };
}

const reply = await run(process.argv.slice(2));
const json = reply.asJson && reply.json !== undefined;
if (json) process.stdout.write(`${JSON.stringify(reply.json, null, 2)}\n`);
// A failure's sentence goes to stderr in both modes: a script reads stdout, a person sees both.
if (!json || reply.exit !== EXIT.ok) (reply.exit === EXIT.ok ? process.stdout : process.stderr).write(`${reply.text}\n`);
process.exitCode = reply.exit;
