/**
 * The payout contract's and token's interface as both ends use it: the agent claims with it (core/wallet/chain.ts),
 * the devnet deploys and reads with it (main/devnet/chain). test/unit/chain-contracts.test.ts keeps it in step with
 * the compiled contracts in main/devnet/chain.
 */
const RANGE_TUPLE = 'tuple(string deviceId, uint64 firstSeq, uint64 lastSeq, uint256 amount)[] ranges';
export const PAYOUT_ABI = [
  `function claim(address owner, uint256 amount, ${RANGE_TUPLE}, uint64 expiry, bytes signature)`,
  'function paid(address owner, string deviceId) view returns (uint64 lastSeq, uint256 total)',
  'function token() view returns (address)',
  'function coordinator() view returns (address)',
  `event Claimed(address indexed owner, uint256 amount, ${RANGE_TUPLE})`,
  'error NotOwner()',
  'error VoucherExpired(uint64 expiry)',
  'error EmptyRange()',
  'error WrongTotal(uint256 sumOfRanges)',
  'error RangeNotNext(string deviceId, uint64 expectedFirst)',
  'error WrongSigner(address signer)',
  'error ECDSAInvalidSignature()',
  'error ECDSAInvalidSignatureS(bytes32 s)',
  'error ECDSAInvalidSignatureLength(uint256 length)',
  // The token refused the transfer (it returned false or nothing).
  'error SafeERC20FailedOperation(address token)',
  // Bubbles up from the token when the payout contract has run dry.
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
];
export const TOKEN_ABI = ['function balanceOf(address owner) view returns (uint256)'];
