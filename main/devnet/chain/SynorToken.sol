// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// The SYNOR reward token. The whole supply goes to the deployer, who funds the payout contract with it.
contract SynorToken is ERC20 {
    constructor(string memory name_, uint256 supply) ERC20(name_, "SYNOR") {
        _mint(msg.sender, supply);
    }
}
