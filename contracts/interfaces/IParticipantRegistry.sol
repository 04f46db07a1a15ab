// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev The market's participant registry: who may take part, in which role, and who is
 * suspended. Roles are OpenZeppelin AccessControl roles granted by the market authority
 * (DEFAULT_ADMIN_ROLE); this interface adds the descriptive record (display name, GS1 GLN
 * or licence number) and suspension.
 */
interface IParticipantRegistry {
    /**
     * @dev A participant's on-chain record. `index` is a compact handle (1, 2, ...) that the
     * batch registry stores instead of a 20-byte address; `roles` is a bit set of the
     * market roles (see {roleBit}); a suspended participant can do nothing.
     */
    struct Participant {
        uint32 index;
        uint8 roles;
        bool suspended;
    }

    /// @dev Emitted when the market authority admits `account` with its first `role`.
    event ParticipantRegistered(
        address indexed account, bytes32 indexed role, uint32 index, string name, string identifier
    );

    /// @dev Emitted when the display name or the GLN / licence number of `account` changes.
    event ParticipantUpdated(address indexed account, string name, string identifier);

    /// @dev Emitted when the market authority suspends `account`.
    event ParticipantSuspended(address indexed account, string reason);

    /// @dev Emitted when the market authority lifts the suspension of `account`.
    event ParticipantReinstated(address indexed account);

    /**
     * @dev `account` is not in the registry.
     * @param account The address that was looked up.
     */
    error ParticipantNotRegistered(address account);

    /**
     * @dev `account` is in the registry already.
     * @param account The address that was to be registered.
     */
    error ParticipantAlreadyRegistered(address account);

    /**
     * @dev `account` is suspended and can do nothing until reinstated.
     * @param account The suspended participant.
     */
    error ParticipantNotActive(address account);

    /**
     * @dev `role` is not one of the market roles (supplier, customs, lab, vendor, regulator).
     * @param role The role identifier given.
     */
    error UnknownRole(bytes32 role);

    /**
     * @dev A participant needs a display name and a GLN or licence number.
     */
    error ParticipantDetailsMissing();

    /**
     * @dev `account` is already in the state the call asks for (suspended or active).
     * @param account The participant.
     */
    error ParticipantStateUnchanged(address account);

    /**
     * @dev Admits `account` to the market with `role`, its display `name` and its GS1 GLN or
     * licence number `identifier`.
     *
     * Requirements:
     * - the caller has DEFAULT_ADMIN_ROLE;
     * - `account` is not registered yet; `role` is a market role; `name` and `identifier` are
     *   not empty.
     *
     * Emits a {ParticipantRegistered} event and an {IAccessControl-RoleGranted} event.
     */
    function registerParticipant(address account, bytes32 role, string calldata name, string calldata identifier)
        external;

    /**
     * @dev Changes the display name and GLN / licence number of a registered `account`.
     *
     * Requirements:
     * - the caller has DEFAULT_ADMIN_ROLE; `account` is registered; neither field is empty.
     *
     * Emits a {ParticipantUpdated} event.
     */
    function updateParticipant(address account, string calldata name, string calldata identifier) external;

    /**
     * @dev Suspends `account`: until reinstated it holds no effective role and can neither
     * register, move, repack, inspect, sell nor accept batches.
     *
     * Requirements:
     * - the caller has DEFAULT_ADMIN_ROLE; `account` is registered and not suspended.
     *
     * Emits a {ParticipantSuspended} event.
     */
    function suspendParticipant(address account, string calldata reason) external;

    /**
     * @dev Lifts the suspension of `account`.
     *
     * Requirements:
     * - the caller has DEFAULT_ADMIN_ROLE; `account` is registered and suspended.
     *
     * Emits a {ParticipantReinstated} event.
     */
    function reinstateParticipant(address account) external;

    /// @dev The record of `account`; all zero for an unregistered address.
    function participant(address account) external view returns (Participant memory);

    /// @dev The address behind participant `index` (zero address if none).
    function participantAccount(uint32 index) external view returns (address);

    /// @dev The bit of `role` in {Participant-roles}; zero for a role that is not a market role.
    function roleBit(bytes32 role) external pure returns (uint8);
}
