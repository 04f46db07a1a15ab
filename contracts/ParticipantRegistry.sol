// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/**
 * @dev Participant registry on OpenZeppelin AccessControl. AccessControl stays the authority
 * on roles (grantRole / revokeRole / RoleGranted / RoleRevoked); every grant and revoke of a
 * market role also updates a packed per-participant record (index, role bits, suspended), so
 * that one storage read answers "is this caller an active participant with role R, and what
 * is its index" on every life-cycle call.
 */
abstract contract ParticipantRegistry is AccessControl, IParticipantRegistry {
    bytes32 public constant SUPPLIER_ROLE = keccak256("SUPPLIER_ROLE");
    bytes32 public constant CUSTOMS_ROLE = keccak256("CUSTOMS_ROLE");
    bytes32 public constant LAB_ROLE = keccak256("LAB_ROLE");
    bytes32 public constant VENDOR_ROLE = keccak256("VENDOR_ROLE");
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    uint8 private constant SUPPLIER_BIT = 1;
    uint8 private constant CUSTOMS_BIT = 2;
    uint8 private constant LAB_BIT = 4;
    uint8 private constant VENDOR_BIT = 8;
    uint8 private constant REGULATOR_BIT = 16;

    mapping(address account => Participant) private _participants;
    mapping(uint32 index => address account) private _accounts;
    uint32 private _participantCount;

    constructor(address authority) {
        _grantRole(DEFAULT_ADMIN_ROLE, authority);
    }

    /// @inheritdoc IParticipantRegistry
    function registerParticipant(address account, bytes32 role, string calldata name, string calldata identifier)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_participants[account].index != 0) revert ParticipantAlreadyRegistered(account);
        if (roleBit(role) == 0) revert UnknownRole(role);
        _requireDetails(name, identifier);
        // unchecked: four billion participants would be needed to wrap.
        uint32 index;
        unchecked {
            index = ++_participantCount;
        }
        _participants[account].index = index;
        _accounts[index] = account;
        emit ParticipantRegistered(account, role, index, name, identifier);
        _grantRole(role, account);
    }

    /// @inheritdoc IParticipantRegistry
    function updateParticipant(address account, string calldata name, string calldata identifier)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _requireRegistered(account);
        _requireDetails(name, identifier);
        emit ParticipantUpdated(account, name, identifier);
    }

    /// @inheritdoc IParticipantRegistry
    function suspendParticipant(address account, string calldata reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Participant storage record = _requireRegistered(account);
        if (record.suspended) revert ParticipantStateUnchanged(account);
        record.suspended = true;
        emit ParticipantSuspended(account, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstateParticipant(address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Participant storage record = _requireRegistered(account);
        if (!record.suspended) revert ParticipantStateUnchanged(account);
        record.suspended = false;
        emit ParticipantReinstated(account);
    }

    /// @inheritdoc IParticipantRegistry
    function participant(address account) external view returns (Participant memory) {
        return _participantRecord(account);
    }

    /// @inheritdoc IParticipantRegistry
    function participantAccount(uint32 index) external view returns (address) {
        return _accounts[index];
    }

    /// @inheritdoc IParticipantRegistry
    function roleBit(bytes32 role) public pure returns (uint8) {
        if (role == SUPPLIER_ROLE) return SUPPLIER_BIT;
        if (role == CUSTOMS_ROLE) return CUSTOMS_BIT;
        if (role == LAB_ROLE) return LAB_BIT;
        if (role == VENDOR_ROLE) return VENDOR_BIT;
        if (role == REGULATOR_ROLE) return REGULATOR_BIT;
        return 0;
    }

    /**
     * @dev A suspended participant holds no effective market role.
     */
    function hasRole(bytes32 role, address account) public view virtual override returns (bool) {
        if (roleBit(role) != 0 && _participants[account].suspended) return false;
        return super.hasRole(role, account);
    }

    /**
     * @dev Keeps the packed record in step with AccessControl. Market roles go only to
     * registered participants.
     */
    function _grantRole(bytes32 role, address account) internal virtual override returns (bool granted) {
        uint8 bit = roleBit(role);
        if (bit != 0) _requireRegistered(account).roles |= bit;
        granted = super._grantRole(role, account);
    }

    /// @dev Keeps the packed record in step with AccessControl.
    function _revokeRole(bytes32 role, address account) internal virtual override returns (bool revoked) {
        uint8 bit = roleBit(role);
        if (bit != 0) _participants[account].roles &= ~bit;
        revoked = super._revokeRole(role, account);
    }

    /**
     * @dev The index of `account`, which must be a registered participant that is not
     * suspended (any role).
     */
    function _activeIndex(address account) internal view returns (uint32) {
        return _activeRecord(account).index;
    }

    /**
     * @dev The index of `account`, which must be an active participant holding `role`.
     * Reverts with OpenZeppelin's {IAccessControl-AccessControlUnauthorizedAccount} when the
     * role is missing.
     */
    function _activeIndex(address account, bytes32 role) internal view returns (uint32) {
        Participant memory record = _activeRecord(account);
        if (record.roles & roleBit(role) == 0) revert AccessControlUnauthorizedAccount(account, role);
        return record.index;
    }

    /// @dev The record of `account` (all zero when unregistered).
    function _participantRecord(address account) internal view returns (Participant memory) {
        return _participants[account];
    }

    /// @dev The address of participant `index`.
    function _accountOf(uint32 index) internal view returns (address) {
        return _accounts[index];
    }

    function _activeRecord(address account) private view returns (Participant memory record) {
        record = _participants[account];
        if (record.index == 0) revert ParticipantNotRegistered(account);
        if (record.suspended) revert ParticipantNotActive(account);
    }

    function _requireRegistered(address account) private view returns (Participant storage record) {
        record = _participants[account];
        if (record.index == 0) revert ParticipantNotRegistered(account);
    }

    function _requireDetails(string calldata name, string calldata identifier) private pure {
        if (bytes(name).length == 0 || bytes(identifier).length == 0) revert ParticipantDetailsMissing();
    }
}
