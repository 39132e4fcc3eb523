// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// Pays device owners for receipts the coordinator signed off. A voucher covers the owner's receipts
/// [fromReceipt, toReceipt); ranges must be claimed in order, so a voucher (or an overlapping one) pays once.
contract SynorPayout is EIP712 {
    using SafeERC20 for IERC20;

    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address owner,uint256 amount,uint64 fromReceipt,uint64 toReceipt,uint64 expiry)");

    IERC20 public immutable token;
    address public immutable coordinator;
    /// The first receipt of each owner not yet paid.
    mapping(address owner => uint64) public nextReceipt;

    event Claimed(address indexed owner, uint256 amount, uint64 fromReceipt, uint64 toReceipt);

    error NotOwner();
    error VoucherExpired(uint64 expiry);
    error EmptyRange();
    error RangeNotNext(uint64 expectedFrom);
    error WrongSigner(address signer);

    constructor(IERC20 token_, address coordinator_) EIP712("SynorPayout", "1") {
        token = token_;
        coordinator = coordinator_;
    }

    function claim(address owner, uint256 amount, uint64 fromReceipt, uint64 toReceipt, uint64 expiry, bytes calldata signature)
        external
    {
        // Only the owner claims: nobody can spend someone's voucher at a time they did not choose.
        if (msg.sender != owner) revert NotOwner();
        if (block.timestamp > expiry) revert VoucherExpired(expiry);
        if (toReceipt <= fromReceipt) revert EmptyRange();
        if (fromReceipt != nextReceipt[owner]) revert RangeNotNext(nextReceipt[owner]);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, owner, amount, fromReceipt, toReceipt, expiry)));
        address signer = ECDSA.recover(digest, signature);
        if (signer != coordinator) revert WrongSigner(signer);
        nextReceipt[owner] = toReceipt;
        emit Claimed(owner, amount, fromReceipt, toReceipt);
        token.safeTransfer(owner, amount);
    }
}
