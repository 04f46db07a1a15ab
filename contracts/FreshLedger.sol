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

    // ---------------------------------------------------------------- scales' PLU keys

    /// @dev `vendor` set its scales' price look-up key `plu` to sell from `batchId`.
    event PluMapped(address indexed vendor, uint16 indexed plu, bytes32 indexed batchId);

    /**
     * @dev Maps the caller's PLU key `plu` to `batchId`. Only an active vendor, for a batch it
     * holds that it could sell now: reverts as {recordSale} would (BatchNotFound,
     * NotCustodian, BatchQuarantined, BatchRecalled, BatchSoldOut, BatchInTransit).
     * Event-only: the indexer keeps the mapping, a later event for the same key replaces it.
     */
    function mapPlu(uint16 plu, bytes32 batchId) external {
        _raise(_checkSaleBatch(batchId, _batches[batchId], _activeIndex(msg.sender, VENDOR_ROLE)));
        emit PluMapped(msg.sender, plu, batchId);
    }
}
