// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchRegistry} from "./BatchRegistry.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";
import {INoticeBoard} from "./interfaces/INoticeBoard.sol";

/**
 * @title FreshLedger
 * @dev The provenance ledger of a fresh-food market: participants (market authority,
 * suppliers, customs, labs, vendors, regulators) and the batches they harvest, import,
 * hand over, repack, test, sell and recall. See {IBatchRegistry} and {IParticipantRegistry}.
 */
contract FreshLedger is BatchRegistry, INoticeBoard {
    /// @param authority The market authority, holder of DEFAULT_ADMIN_ROLE.
    constructor(address authority) ParticipantRegistry(authority) {}

    // ---------------------------------------------------------------- notices and floor plan
    // Event-only: the text and the plan are documents; the indexer keeps what is current.

    /// @inheritdoc INoticeBoard
    function publishNotice(bytes calldata cid, uint64 validFrom, uint64 validUntil, bytes32 batchId, address stall)
        external
    {
        // hasRole is false for a suspended regulator (ParticipantRegistry.hasRole).
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender) && !hasRole(REGULATOR_ROLE, msg.sender)) {
            revert NoticeAuthorUnauthorized(msg.sender);
        }
        _requireDocument(cid);
        if (validFrom >= validUntil || validUntil <= block.timestamp) revert NoticeWindowInvalid(validFrom, validUntil);
        emit NoticePublished(msg.sender, batchId, stall, cid, validFrom, validUntil);
    }

    /// @inheritdoc INoticeBoard
    function publishLayout(bytes calldata cid) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireDocument(cid);
        emit LayoutPublished(msg.sender, cid);
    }

    /// @dev A notice's text and a plan are documents: unlike a batch's, the CID is required.
    function _requireDocument(bytes calldata cid) private pure {
        if (cid.length == 0) revert InvalidDocumentCid(cid);
        _requireCid(cid);
    }

    // ---------------------------------------------------------------- scales' PLU keys

    /// @dev `vendor` set its scales' price look-up key `plu` to sell from `batchId` (zero:
    /// the key was cleared and sells nothing).
    event PluMapped(address indexed vendor, uint16 indexed plu, bytes32 indexed batchId);

    /**
     * @dev Maps the caller's PLU key `plu` to `batchId`, or clears the key when `batchId` is
     * zero (no batch has that id: ids are hashes of a GTIN and a lot).
     *
     * Requirements:
     * - the caller is an active vendor;
     * - a non-zero `batchId` is a batch it holds that it could sell now: reverts as
     *   {recordSale} would (BatchNotFound, NotCustodian, BatchQuarantined, BatchRecalled,
     *   BatchSoldOut, BatchInTransit).
     *
     * Emits a {PluMapped} event. Event-only: the indexer keeps the mapping, a later event for
     * the same key replaces it.
     */
    function mapPlu(uint16 plu, bytes32 batchId) external {
        // No lot has the zero id (its zeroed record would be refused as BatchNotFound).
        if (batchId == bytes32(0)) _activeIndex(msg.sender, VENDOR_ROLE);
        else _raise(_checkSaleBatch(batchId, _batches[batchId], _activeIndex(msg.sender, VENDOR_ROLE)));
        emit PluMapped(msg.sender, plu, batchId);
    }
}
