/** Every user-facing string of the UI, in one place. */
export const t = {
  appName: 'Synor Contributor',
  nav: { dashboard: 'Dashboard', settings: 'Settings' },
  connection: {
    connecting: 'Connecting to the agent…',
    lost: 'Lost the connection to the agent. Retrying… If you stopped it, start it again.',
    'no-token': 'This page needs the access link the agent printed when it started (it ends in #token=…).',
  },
  dashboard: {
    title: 'Dashboard',
    shareLabel: 'Share resources',
    shareOn: 'Sharing is on',
    shareOff: 'Sharing is off',
    status: { off: 'Off', waiting: 'Waiting', working: 'Working', paused: 'Paused' },
    activity: 'Recent activity',
    noActivity: 'Nothing has happened yet.',
    dismiss: 'Dismiss',
  },
  settings: {
    title: 'Settings',
    limits: 'Limits',
    cpuShare: 'CPU share',
    cpuShareHelp: 'The most of your processor Synor may use while sharing.',
    when: 'When to share',
    idleOnly: 'Only when I am away',
    idleMinutes: 'Minutes without keyboard or mouse before sharing starts',
    saved: 'Saved',
    invalid: 'Not saved: fix the highlighted field.',
  },
  mode: { electron: 'Desktop app', headless: 'Headless mode' },
} as const;
