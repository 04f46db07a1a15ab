// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchRegistry} from "./BatchRegistry.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/**
 * @title FreshLedger
 * @dev The provenance ledger of a fresh-food market: participants (market authority,
 * suppliers, customs, labs, vendors, regulators) and the batches they harvest, import,
 * hand over, repack, test, sell and recall. See {IBatchRegistry} and {IParticipantRegistry}.
 */
contract FreshLedger is BatchRegistry {
    /// @param authority The market authority, holder of DEFAULT_ADMIN_ROLE.
    constructor(address authority) ParticipantRegistry(authority) {}
}
