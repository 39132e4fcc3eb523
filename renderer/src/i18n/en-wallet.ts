/** The Wallet page's sentences: a part of the catalogue in `en.ts` (`t.wallet`, `t.walletDone`), kept apart for its size. */
import { shortAddress } from '../../../main/common/wallet.js';
import { formatNumber, formatPercent } from '../lib/locale.js';

export const walletText = {
  title: 'Wallet',
  createTitle: 'Create a wallet',
  createHelp: 'Your earnings are paid to this wallet. Its key stays on this computer, in your system keychain where there is one.',
  passphrase: 'Passphrase for the key file',
  passphraseHelp: 'This system has no usable keychain: the key is kept in a file encrypted with this passphrase (8 characters or more).',
  create: 'Create wallet',
  working: 'Working…',
  importTitle: 'Import a wallet',
  secret: 'Recovery phrase (12 or 24 words), private key, or the text of a backup file',
  backupFile: 'Or open a backup file',
  backupFileHelp: 'The encrypted backup this app exported, or a key file (JSON) from another Ethereum wallet.',
  backupTooBig: 'That file is too large to be a wallet backup. Choose the .json file you exported.',
  backupPassphrase: 'Passphrase of the backup file',
  backupPassphraseHelp: 'The passphrase chosen when the backup was made.',
  lost: (address: string) =>
    `Your wallet ${shortAddress(address)} needs its recovery phrase or backup file: import it to go on. ` +
    'The file that held its key on this computer is missing or damaged.',
  import: 'Import',
  address: 'Your address',
  copy: 'Copy',
  qr: 'QR code of your address',
  storage: {
    keychain: 'The key is kept in your system keychain.',
    'safe-storage': 'The key is kept encrypted by your operating system.',
    'keystore-file': 'The key is kept in a file encrypted with your passphrase.',
  },
  unlock: 'Passphrase',
  unlockButton: 'Unlock',
  balance: 'Balance',
  native: 'Native coin (fees)',
  claimable: 'Claimable SYNOR',
  claim: 'Claim to wallet',
  history: 'Claims',
  claimCovers: 'Receipts this claim paid',
  claimRange: (first: number, last: number, count: number, device: string) =>
    first === last
      ? `Receipt #${formatNumber(first)} (1 receipt) of ${device}`
      : `Receipts #${formatNumber(first)}–#${formatNumber(last)} (${formatNumber(count)} receipts) of ${device}`,
  thisComputer: (name: string) => `this computer (${name})`,
  otherComputer: (id: string) => `another of your computers (${id.length > 16 ? `${id.slice(0, 12)}…` : id})`,
  claimStatus: { pending: 'Pending', confirmed: 'Confirmed', failed: 'Failed' },
  backup: 'Backup',
  backupPending: 'Write down your recovery phrase: it is the only way to get this wallet back if this computer is lost.',
  reveal: 'Show recovery phrase',
  revealConfirm: 'Make sure nobody can see your screen. Anyone with these words can take your earnings.',
  revealYes: 'Show it now',
  cancel: 'Cancel',
  typeBack: 'Type these words from your written copy to confirm it:',
  word: (n: number) => `Word ${formatNumber(n)}`,
  confirmBackup: 'I wrote it down',
  exportPassphrase: 'Passphrase for the backup file',
  export: 'Export encrypted backup',
  remove: 'Remove wallet',
  removeHelp: 'Removes the key from this computer. Without a backup, its funds are lost.',
  removeType: 'Type your address to confirm',
  removeButton: 'Remove',
  walletPassphrase: 'Your wallet passphrase',
  passphraseFirst: 'Enter your wallet passphrase first: it proves this is you.',
  confirmPending: (action: 'export' | 'remove' | 'reveal' | 'delegate', time: string) =>
    `Someone asked to ${{ export: 'export this wallet', remove: 'remove this wallet', reveal: 'show the recovery phrase', delegate: 'let another computer earn to this wallet' }[action]}; it can be confirmed after ${time}. If it was not you, do not confirm it, and restart the app.`,
  confirmHelp: 'For your safety this asks twice: press the button, wait a few seconds, then press it again.',
  keyWork: {
    decrypt: (percent: number) => `Checking the passphrase… ${formatPercent(percent)}`,
    encrypt: (percent: number) => `Encrypting the key… ${formatPercent(percent)}`,
  },
  revealAuthHelp: 'Your wallet passphrase, to show that it is you.',
  confirmWait: (time: string) => `For your safety, confirm again after ${time}: press the same button once more.`,
};

/** What a wallet step did, said beside its button once it is done. */
export const walletDoneText = {
  created: 'Your wallet is ready.',
  imported: 'Wallet imported.',
  nextTitle: 'Next: start earning',
  nextHelp: 'Turn sharing on and this computer starts earning for this wallet, within the limits in Settings.',
  nextBackup: 'Then write down the recovery phrase (Backup, below): it is the only way back to this wallet if this computer is lost.',
  shareOn: 'Turn sharing on',
  sharingOn: 'Sharing is on: this computer earns for your wallet. Its work shows on the Dashboard.',
  unlocked: 'Wallet unlocked: earnings can be paid to it again.',
  backedUp: 'Thank you: your recovery phrase is confirmed. It will not be shown again.',
  exportedBrowser: (file: string) =>
    `Backup saved by your browser as ${file} (usually your Downloads folder). Keep it, and its passphrase, somewhere safe away from this computer.`,
  exportedTo: (path: string) => `Backup saved as ${path}. Keep a copy, and its passphrase, somewhere safe away from this computer.`,
  exportCancelled: 'No backup was saved: the save window was closed. Export again to choose where it goes.',
  claimed: 'Claim sent. It shows as confirmed below once the chain has it.',
  removed: 'Wallet removed from this computer.',
  copied: 'Address copied.',
  exportWhy: 'Choose a passphrase for the backup file first (8 characters or more, typed twice).',
  claimWhy: 'Nothing to claim yet: earnings become claimable once the network confirms them.',
  removeWhy: 'Type your address exactly as shown above to enable this.',
};
