// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title tapbridge stake token: the ERC-20 that signers bond and users delegate to secure custody.
/// @notice Predeployed at genesis (see stake-predeploy.ts) with its whole supply allocated there: there is no mint
///         and no owner. Stakers use it from ordinary wallets (approve the staking contract, then bond or delegate).
/// @dev Storage layout is part of the genesis format and must not change: slot 0 totalSupply, slot 1 balanceOf,
///      slot 2 allowance. An allowance of type(uint256).max is never decreased (the common ERC-20 convention).
contract StakeToken {
    string public constant name = "tapbridge stake";
    string public constant symbol = "TBSTAKE";
    uint8 public constant decimals = 18;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    error ZeroAddress();

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ZeroAddress();
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(from, msg.sender, allowed, value);
            allowance[from][msg.sender] = allowed - value;
        }
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) private {
        // Burning by sending to 0 would silently shrink the supply that stake-accounting reconciles against.
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        unchecked {
            balanceOf[from] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
