// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// Pays device owners for receipts the coordinator signed off. A voucher names, per device, the receipt range
/// [firstSeq, lastSeq] it pays and what that range is worth (receipts are numbered per device from 1); each range
/// must start right after the last receipt of that device already paid, so a voucher (or an overlapping one) pays
/// once. What each device was paid in all is kept, so the coordinator needs no history to build the next voucher.
contract SynorPayout is EIP712 {
    using SafeERC20 for IERC20;

    struct Range {
        string deviceId;
        uint64 firstSeq;
        uint64 lastSeq;
        uint256 amount;
    }

    /// The last receipt paid and the sum paid for all receipts up to it.
    struct Paid {
        uint64 lastSeq;
        uint256 total;
    }

    bytes32 public constant RANGE_TYPEHASH =
        keccak256("Range(string deviceId,uint64 firstSeq,uint64 lastSeq,uint256 amount)");
    bytes32 public constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(address owner,uint256 amount,Range[] ranges,uint64 expiry)Range(string deviceId,uint64 firstSeq,uint64 lastSeq,uint256 amount)"
    );

    IERC20 public immutable token;
    address public immutable coordinator;
    /// Per owner and keccak256(deviceId).
    mapping(address owner => mapping(bytes32 device => Paid)) private _paid;

    event Claimed(address indexed owner, uint256 amount, Range[] ranges);

    error NotOwner();
    error VoucherExpired(uint64 expiry);
    error EmptyRange();
    error WrongTotal(uint256 sumOfRanges);
    error RangeNotNext(string deviceId, uint64 expectedFirst);
    error WrongSigner(address signer);

    constructor(IERC20 token_, address coordinator_) EIP712("SynorPayout", "1") {
        token = token_;
        coordinator = coordinator_;
    }

    function paid(address owner, string calldata deviceId) external view returns (uint64 lastSeq, uint256 total) {
        Paid storage p = _paid[owner][keccak256(bytes(deviceId))];
        return (p.lastSeq, p.total);
    }

    function claim(address owner, uint256 amount, Range[] calldata ranges, uint64 expiry, bytes calldata signature) external {
        // Only the owner claims: nobody can spend someone's voucher at a time they did not choose.
        if (msg.sender != owner) revert NotOwner();
        if (block.timestamp > expiry) revert VoucherExpired(expiry);
        if (ranges.length == 0) revert EmptyRange();
        bytes32[] memory hashes = new bytes32[](ranges.length);
        uint256 sum = 0;
        for (uint256 i = 0; i < ranges.length; i++) {
            Range calldata r = ranges[i];
            bytes32 device = keccak256(bytes(r.deviceId));
            if (r.lastSeq < r.firstSeq) revert EmptyRange();
            Paid storage p = _paid[owner][device];
            if (r.firstSeq != p.lastSeq + 1) revert RangeNotNext(r.deviceId, p.lastSeq + 1);
            // Written at once, so a voucher naming one device twice fails at its second range.
            p.lastSeq = r.lastSeq;
            p.total += r.amount;
            sum += r.amount;
            hashes[i] = keccak256(abi.encode(RANGE_TYPEHASH, device, r.firstSeq, r.lastSeq, r.amount));
        }
        if (sum != amount) revert WrongTotal(sum);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(VOUCHER_TYPEHASH, owner, amount, keccak256(abi.encodePacked(hashes)), expiry))
        );
        address signer = ECDSA.recover(digest, signature);
        if (signer != coordinator) revert WrongSigner(signer);
        emit Claimed(owner, amount, ranges);
        token.safeTransfer(owner, amount);
    }
}
