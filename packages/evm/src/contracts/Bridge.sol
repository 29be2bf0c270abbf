// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title tapbridge bridge: burns L2 BTC so the signers pay it out on Bitcoin.
/// @notice Predeployed at genesis (see chain-config.ts). Minting is not done here: deposits are credited as
///         EIP-4895 withdrawal-list entries by the sequencer, so this contract only ever receives BTC.
/// @dev Burned BTC stays in this contract for good: there is no function that sends value out, no
///      selfdestruct and no delegatecall, so `totalBurnedSats` only grows and the balance can never leave.
///      (A foreign selfdestruct can still force extra wei in; `totalBurnedSats` is the authoritative sum.)
contract Bridge {
    /// 1 sat = 10^10 wei: BTC has 8 decimals, the EVM's native coin 18.
    uint256 public constant WEI_PER_SAT = 1e10;
    /// Bitcoin Core's dust limit for the most expensive standard output (P2PKH); below it nodes refuse to relay.
    uint64 public constant DUST_LIMIT_SATS = 546;

    /// Id the next request gets; ids start at 0 and have no gaps, so the signers can tell a request was skipped.
    uint256 public nextWithdrawalId;
    /// Sum of every burn, in sats.
    uint256 public totalBurnedSats;
    /// The Bitcoin output script each account is paid to by the emergency disbursal (issue 11): the escape hatch
    /// after the sweep, pre-signed by the signers from every new custody output. Empty = not registered.
    mapping(address => bytes) public recoveryScriptOf;

    event WithdrawalRequested(
        uint256 indexed id,
        address indexed sender,
        bytes btcScriptPubKey,
        uint64 amountSats,
        uint64 maxFeeSats
    );

    /// Every (re)registration; the signers read the latest per account up to a checkpoint block.
    event RecoveryScriptSet(address indexed account, bytes scriptPubKey);

    error NotWholeSats(uint256 valueWei);
    error BelowDust(uint256 amountSats, uint64 dustLimitSats);
    error AmountTooLarge(uint256 amountSats);
    error UnsupportedScriptPubKey(bytes btcScriptPubKey);
    error MaxFeeNotBelowAmount(uint64 maxFeeSats, uint256 amountSats);

    /// @notice Burn msg.value and ask the signers to pay it to `btcScriptPubKey` on Bitcoin.
    /// @param btcScriptPubKey a standard output script: P2PKH, P2SH, P2WPKH, P2WSH or P2TR, exact shape.
    /// @param maxFeeSats the most of the amount the user accepts to pay as this output's share of the Bitcoin fee.
    /// @return id the request's sequential id.
    function withdraw(bytes calldata btcScriptPubKey, uint64 maxFeeSats) external payable returns (uint256 id) {
        if (msg.value % WEI_PER_SAT != 0) revert NotWholeSats(msg.value);
        uint256 amountSats = msg.value / WEI_PER_SAT;
        if (amountSats < DUST_LIMIT_SATS) revert BelowDust(amountSats, DUST_LIMIT_SATS);
        if (amountSats > type(uint64).max) revert AmountTooLarge(amountSats);
        if (!isStandardScriptPubKey(btcScriptPubKey)) revert UnsupportedScriptPubKey(btcScriptPubKey);
        // A fee cap at or above the amount would let the payout shrink to nothing.
        if (maxFeeSats >= amountSats) revert MaxFeeNotBelowAmount(maxFeeSats, amountSats);

        id = nextWithdrawalId++;
        totalBurnedSats += amountSats;
        emit WithdrawalRequested(id, msg.sender, btcScriptPubKey, uint64(amountSats), maxFeeSats);
    }

    /// @notice Register (or replace) the Bitcoin script the emergency disbursal pays this account's balance to,
    ///         should the L2 and the signers stop. Standard templates only, like withdrawals.
    function setRecoveryScript(bytes calldata scriptPubKey) external {
        if (!isStandardScriptPubKey(scriptPubKey)) revert UnsupportedScriptPubKey(scriptPubKey);
        recoveryScriptOf[msg.sender] = scriptPubKey;
        emit RecoveryScriptSet(msg.sender, scriptPubKey);
    }

    /// @notice True for exactly the five standard templates the signers know how to pay.
    function isStandardScriptPubKey(bytes calldata s) public pure returns (bool) {
        uint256 n = s.length;
        // P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
        if (n == 25) {
            return s[0] == 0x76 && s[1] == 0xa9 && s[2] == 0x14 && s[23] == 0x88 && s[24] == 0xac;
        }
        // P2SH: OP_HASH160 <20> OP_EQUAL
        if (n == 23) return s[0] == 0xa9 && s[1] == 0x14 && s[22] == 0x87;
        // P2WPKH: OP_0 <20>
        if (n == 22) return s[0] == 0x00 && s[1] == 0x14;
        // P2WSH: OP_0 <32>; P2TR: OP_1 <32>
        if (n == 34) return (s[0] == 0x00 || s[0] == 0x51) && s[1] == 0x20;
        return false;
    }

    // No receive() or fallback(): plain transfers revert, so BTC only enters through withdraw().
}
