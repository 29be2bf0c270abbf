// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IStakeToken {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title tapbridge staking: signers bond stake tokens under their host key, users delegate to signers, and both
///        unbond through a delay. Stake-accounting indexes the events; the sequencer applies slashes, unbonding
///        releases and rewards as system calls (from SYSTEM_ADDRESS, which no key controls).
/// @notice Predeployed at genesis (see stake-predeploy.ts). Unbonded stake can be withdrawn once (1) the unbonding
///         delay has passed and (2) stake-accounting released it, which it does in request order while the stake left
///         behind still covers the collateral ratio. Until both hold, the stake can still be slashed.
/// @dev Storage slot 0 (unbondingDelay) is written at genesis and must stay first. Slashed stake stays in this
///      contract for good (counted in totalSlashed): nothing sends it out.
contract Staking {
    /// The stake token's fixed genesis address.
    IStakeToken public constant STAKE_TOKEN = IStakeToken(0x0000000000000000000000000000000000057a4e);
    /// The caller of system operations (EIP-4788's system address): only the sequencer can make calls from it.
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// Bounds the work of withdrawUnbonded() per owner.
    uint256 public constant MAX_OPEN_UNBONDINGS = 32;

    /// Seconds between unbond() and the earliest withdrawal (set at genesis).
    uint256 public unbondingDelay;

    struct Signer {
        bytes hostPubkey;
        uint256 selfBond;
        uint256 delegated;
    }

    struct Unbonding {
        address owner;
        address signer;
        uint256 amount;
        uint64 maturesAt;
        bool withdrawn;
    }

    mapping(address => Signer) private _signers;
    /// keccak256(hostPubkey) → signer: one host key per signer.
    mapping(bytes32 => address) public signerOfHostKey;
    mapping(address => mapping(address => uint256)) public delegation;
    mapping(uint256 => Unbonding) public unbondings;
    mapping(address => uint256[]) private _openUnbondings;
    uint256 public nextUnbondingId;
    /// Unbonding ids below this are released (capacity allows them to leave).
    uint256 public releasedBelow;
    uint256 public totalBonded;
    uint256 public totalDelegated;
    uint256 public totalUnbonding;
    uint256 public totalSlashed;
    mapping(bytes32 => bool) public slashApplied;
    mapping(uint64 => bool) public epochRewarded;
    mapping(address => uint256) public rewardsOf;
    uint256 public totalRewardsOwed;

    event Bonded(address indexed signer, uint256 amount, bytes hostPubkey);
    event Delegated(address indexed delegator, address indexed signer, uint256 amount);
    event UnbondingStarted(uint256 indexed id, address indexed owner, address indexed signer, uint256 amount, uint64 maturesAt);
    event UnbondingReleased(uint256 releasedBelow);
    event Withdrawn(uint256 indexed id, address indexed owner, uint256 amount);
    /// kind: 0 the signer's own bond, 1 a delegation, 2 an unbonding entry (unbondingId). evidenceId is keccak256 of the
    /// evidence id text, so the slash is traceable to the evidence stake-accounting verified.
    event StakeSlashed(bytes32 indexed evidenceId, address indexed signer, address indexed owner, uint8 kind, uint256 unbondingId, uint256 amount);
    event Slashed(bytes32 indexed evidenceId, address indexed signer, uint256 total);
    event RewardCredited(uint64 indexed epoch, address indexed recipient, uint256 amount);
    event RewardsClaimed(address indexed recipient, uint256 amount);

    error ZeroAmount();
    error BadHostPubkey();
    error HostKeyMismatch();
    error HostKeyTaken(address signer);
    error NotASigner(address signer);
    error SelfDelegation();
    error InsufficientStake(uint256 available, uint256 requested);
    error TooManyOpenUnbondings();
    error OnlySystem();
    error ReleaseBackwards(uint256 current, uint256 requested);
    error LengthMismatch();
    error EpochAlreadyRewarded(uint64 epoch);
    error RewardsUnfunded(uint256 available, uint256 needed);
    error TransferFailed();

    modifier onlySystem() {
        if (msg.sender != SYSTEM_ADDRESS) revert OnlySystem();
        _;
    }

    // ------------------------------------------------------------------ stakers

    /// @notice Bond `amount` (approved to this contract first) as a signer whose protocol messages `hostPubkey`
    ///         (33-byte compressed secp256k1) signs. The first bond registers the key; later bonds must repeat it.
    function bond(uint256 amount, bytes calldata hostPubkey) external {
        if (amount == 0) revert ZeroAmount();
        if (hostPubkey.length != 33 || (hostPubkey[0] != 0x02 && hostPubkey[0] != 0x03)) revert BadHostPubkey();
        Signer storage s = _signers[msg.sender];
        bytes32 keyHash = keccak256(hostPubkey);
        if (s.hostPubkey.length == 0) {
            address holder = signerOfHostKey[keyHash];
            if (holder != address(0)) revert HostKeyTaken(holder);
            s.hostPubkey = hostPubkey;
            signerOfHostKey[keyHash] = msg.sender;
        } else if (keccak256(s.hostPubkey) != keyHash) {
            revert HostKeyMismatch();
        }
        _pull(amount);
        s.selfBond += amount;
        totalBonded += amount;
        emit Bonded(msg.sender, amount, hostPubkey);
    }

    /// @notice Back `signer` with `amount` (approved to this contract first) and share its rewards and slashes.
    function delegate(address signer, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (signer == msg.sender) revert SelfDelegation();
        Signer storage s = _signers[signer];
        if (s.hostPubkey.length == 0) revert NotASigner(signer);
        _pull(amount);
        delegation[signer][msg.sender] += amount;
        s.delegated += amount;
        totalDelegated += amount;
        emit Delegated(msg.sender, signer, amount);
    }

    /// @notice Start unbonding `amount` of your own bond; withdrawable after the delay once released.
    function unbond(uint256 amount) external returns (uint256 id) {
        Signer storage s = _signers[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (s.selfBond < amount) revert InsufficientStake(s.selfBond, amount);
        s.selfBond -= amount;
        totalBonded -= amount;
        id = _queue(msg.sender, msg.sender, amount);
    }

    /// @notice Start unbonding `amount` of your delegation to `signer`.
    function undelegate(address signer, uint256 amount) external returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        uint256 current = delegation[signer][msg.sender];
        if (current < amount) revert InsufficientStake(current, amount);
        delegation[signer][msg.sender] = current - amount;
        _signers[signer].delegated -= amount;
        totalDelegated -= amount;
        id = _queue(msg.sender, signer, amount);
    }

    /// @notice Withdraw every unbonding entry of yours that has matured and been released. Returns the total.
    function withdrawUnbonded() external returns (uint256 total) {
        uint256[] storage open = _openUnbondings[msg.sender];
        uint256 i = 0;
        while (i < open.length) {
            uint256 id = open[i];
            Unbonding storage u = unbondings[id];
            if (id < releasedBelow && u.maturesAt <= block.timestamp) {
                u.withdrawn = true;
                total += u.amount;
                emit Withdrawn(id, msg.sender, u.amount);
                open[i] = open[open.length - 1];
                open.pop();
            } else {
                i++;
            }
        }
        if (total > 0) {
            totalUnbonding -= total;
            if (!STAKE_TOKEN.transfer(msg.sender, total)) revert TransferFailed();
        }
    }

    /// @notice Send you the rewards credited to you.
    function claimRewards() external returns (uint256 amount) {
        amount = rewardsOf[msg.sender];
        if (amount == 0) return 0;
        rewardsOf[msg.sender] = 0;
        totalRewardsOwed -= amount;
        emit RewardsClaimed(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    // ------------------------------------------------------------------ views

    function signerInfo(address signer) external view returns (bytes memory hostPubkey, uint256 selfBond, uint256 delegated) {
        Signer storage s = _signers[signer];
        return (s.hostPubkey, s.selfBond, s.delegated);
    }

    function openUnbondings(address owner) external view returns (uint256[] memory) {
        return _openUnbondings[owner];
    }

    // ------------------------------------------------------------------ system operations (the sequencer)

    /// @notice Release unbonding entries with id < `below` (stake-accounting decided capacity allows it).
    function releaseUnbonding(uint256 below) external onlySystem {
        if (below < releasedBelow) revert ReleaseBackwards(releasedBelow, below);
        if (below > nextUnbondingId) below = nextUnbondingId;
        releasedBelow = below;
        emit UnbondingReleased(below);
    }

    /// @notice Apply a slash computed by stake-accounting from verified evidence, once per evidence id. Each amount
    ///         is capped at what the position still holds (a withdrawal may have raced the slash); the events carry
    ///         the amounts actually taken, which the ledger records.
    function slash(
        bytes32 evidenceId,
        address signer,
        uint256 selfAmount,
        address[] calldata delegators,
        uint256[] calldata delegatorAmounts,
        uint256[] calldata unbondingIds,
        uint256[] calldata unbondingAmounts
    ) external onlySystem returns (uint256 total) {
        if (slashApplied[evidenceId]) return 0;
        if (delegators.length != delegatorAmounts.length || unbondingIds.length != unbondingAmounts.length) revert LengthMismatch();
        slashApplied[evidenceId] = true;
        // Separate statements: Solidity does not fix the evaluation order of a sum, and the events must come in this order.
        total = _slashSelf(evidenceId, signer, selfAmount);
        total += _slashDelegations(evidenceId, signer, delegators, delegatorAmounts);
        total += _slashUnbondings(evidenceId, signer, unbondingIds, unbondingAmounts);
        totalSlashed += total;
        emit Slashed(evidenceId, signer, total);
    }

    /// @notice Credit an epoch's rewards (native BTC, in wei), once per epoch. The funds arrive with the call or as
    ///         a withdrawal-list credit to this contract in the same block; either way this contract's balance must
    ///         cover everything owed afterwards.
    function creditRewards(uint64 epoch, address[] calldata recipients, uint256[] calldata amounts) external payable onlySystem {
        if (epochRewarded[epoch]) revert EpochAlreadyRewarded(epoch);
        if (recipients.length != amounts.length) revert LengthMismatch();
        epochRewarded[epoch] = true;
        uint256 total = 0;
        for (uint256 i = 0; i < recipients.length; i++) {
            if (amounts[i] == 0) continue;
            rewardsOf[recipients[i]] += amounts[i];
            total += amounts[i];
            emit RewardCredited(epoch, recipients[i], amounts[i]);
        }
        totalRewardsOwed += total;
        if (address(this).balance < totalRewardsOwed) revert RewardsUnfunded(address(this).balance, totalRewardsOwed);
    }

    // ------------------------------------------------------------------ internals

    function _pull(uint256 amount) private {
        if (!STAKE_TOKEN.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
    }

    function _queue(address owner, address signer, uint256 amount) private returns (uint256 id) {
        uint256[] storage open = _openUnbondings[owner];
        if (open.length >= MAX_OPEN_UNBONDINGS) revert TooManyOpenUnbondings();
        id = nextUnbondingId++;
        uint64 maturesAt = uint64(block.timestamp + unbondingDelay);
        unbondings[id] = Unbonding({owner: owner, signer: signer, amount: amount, maturesAt: maturesAt, withdrawn: false});
        open.push(id);
        totalUnbonding += amount;
        emit UnbondingStarted(id, owner, signer, amount, maturesAt);
    }

    function _slashSelf(bytes32 evidenceId, address signer, uint256 amount) private returns (uint256 take) {
        Signer storage s = _signers[signer];
        take = _min(amount, s.selfBond);
        if (take == 0) return 0;
        s.selfBond -= take;
        totalBonded -= take;
        emit StakeSlashed(evidenceId, signer, signer, 0, 0, take);
    }

    function _slashDelegations(bytes32 evidenceId, address signer, address[] calldata delegators, uint256[] calldata amounts) private returns (uint256 total) {
        Signer storage s = _signers[signer];
        for (uint256 i = 0; i < delegators.length; i++) {
            uint256 held = delegation[signer][delegators[i]];
            uint256 take = _min(amounts[i], held);
            if (take == 0) continue;
            delegation[signer][delegators[i]] = held - take;
            s.delegated -= take;
            total += take;
            emit StakeSlashed(evidenceId, signer, delegators[i], 1, 0, take);
        }
        totalDelegated -= total;
    }

    function _slashUnbondings(bytes32 evidenceId, address signer, uint256[] calldata ids, uint256[] calldata amounts) private returns (uint256 total) {
        for (uint256 i = 0; i < ids.length; i++) {
            Unbonding storage u = unbondings[ids[i]];
            // A withdrawn entry has left; an entry of another signer is not this slash's to take.
            if (u.withdrawn || u.signer != signer) continue;
            uint256 take = _min(amounts[i], u.amount);
            if (take == 0) continue;
            u.amount -= take;
            total += take;
            emit StakeSlashed(evidenceId, signer, u.owner, 2, ids[i], take);
        }
        totalUnbonding -= total;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    // No receive(): BTC enters only through creditRewards (or a withdrawal-list credit the sequencer makes).
}
