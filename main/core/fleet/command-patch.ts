import type { FleetCommand } from '../../common/fleet.js';
import { PRESETS, type SettingsPatch } from '../../common/settings.js';

/**
 * What a fleet command changes here, as a settings patch: the share, the pause, a preset and the schedule. The
 * command schema cannot name anything else (wallet, network, secrets), and this is the only way one is applied.
 */
export function commandPatch(command: FleetCommand, now: number): SettingsPatch {
  switch (command.type) {
    case 'share':
      return { sharing: command.on };
    case 'pause':
      return { pausedUntil: command.ms === 0 ? null : now + command.ms };
    case 'profile':
      return {
        ...(command.preset === undefined ? {} : PRESETS[command.preset]),
        ...(command.sharing === undefined ? {} : { sharing: command.sharing }),
        ...(command.schedule === undefined ? {} : { schedule: command.schedule }),
      };
  }
}

/** The command in a few plain words, for the activity log. */
export function describeCommand(command: FleetCommand): string {
  switch (command.type) {
    case 'share':
      return command.on ? 'turned sharing on' : 'turned sharing off';
    case 'pause':
      return command.ms === 0 ? 'ended the pause' : `paused sharing for ${Math.round(command.ms / 60_000)} minutes`;
    case 'profile':
      return `applied a settings profile${command.preset === undefined ? '' : ` (${command.preset})`}`;
  }
}
