// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBatchRegistry} from "./interfaces/IBatchRegistry.sol";
import {Gs1} from "./libraries/Gs1.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/**
 * @dev The batch life-cycle of {IBatchRegistry} on top of the participant registry.
 *
 * Gas design: a batch is one storage slot (GTIN, remaining quantity, custodian and pending
 * recipient as 32-bit participant indexes, sale counter, unit, status), so a registration
 * writes one new slot and a hand-off, acceptance or sale rewrites that slot in place.
 * Sale ids are derived from a per-batch counter, so uniqueness costs no extra slot.
 * All descriptive data lives in events.
 */
abstract contract BatchRegistry is ParticipantRegistry, IBatchRegistry {
    /// @dev The packed state of one batch (exactly 256 bits).
    struct Batch {
        uint64 gtin;
        uint64 remaining;
        uint32 custodian;
        uint32 pendingRecipient;
        uint32 saleCount;
        bytes3 unit;
        Status status;
    }

    /// @dev The largest batch quantity: fits a signed 64-bit SQL integer (see {QuantityTooLarge}).
    uint64 private constant MAX_QUANTITY = type(uint64).max >> 1;

    mapping(bytes32 batchId => Batch) private _batches;

    // ---------------------------------------------------------------- origins

    /// @inheritdoc IBatchRegistry
    function registerHarvest(
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        uint64 harvestedAt,
        string calldata origin,
        bytes calldata documentCid
    ) external returns (bytes32 batchId) {
        uint32 supplier = _activeIndex(msg.sender, SUPPLIER_ROLE);
        _requirePast(harvestedAt);
        if (bytes(origin).length == 0) revert MissingField("origin");
        _requireCid(documentCid);
        batchId = _createBatch(gtin, lot, quantity, unit, supplier);
        emit HarvestRegistered(batchId, msg.sender, gtin, lot, quantity, unit, harvestedAt, origin, documentCid);
    }

    /// @inheritdoc IBatchRegistry
    function registerImport(
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        address importer,
        bytes2 originCountry,
        string calldata declarationNumber,
        uint64 clearedAt,
        string calldata entryPort,
        bytes calldata documentCid
    ) external returns (bytes32 batchId) {
        _activeIndex(msg.sender, CUSTOMS_ROLE);
        uint32 importerIndex = _importerIndex(importer);
        if (!Gs1.isCountryCode(originCountry)) revert InvalidCountryCode(originCountry);
        if (bytes(declarationNumber).length == 0) revert MissingField("declarationNumber");
        if (bytes(entryPort).length == 0) revert MissingField("entryPort");
        _requirePast(clearedAt);
        _requireCid(documentCid);
        batchId = _createBatch(gtin, lot, quantity, unit, importerIndex);
        _emitImport(batchId, importer, gtin, lot, quantity, unit, originCountry, declarationNumber, clearedAt, entryPort, documentCid);
    }

    // ---------------------------------------------------------------- custody

    /// @inheritdoc IBatchRegistry
    function handOff(bytes32 batchId, address to) external {
        (Batch memory b, uint32 sender) = _custodianBatch(batchId);
        _requireMovable(batchId, b);
        uint32 recipient = _activeIndex(to);
        if (recipient == sender) revert HandOffToSelf(batchId);
        _recordCustody(batchId, b, sender, recipient);
        emit HandOffInitiated(batchId, msg.sender, to, b.remaining);
    }

    /// @inheritdoc IBatchRegistry
    function acceptHandOff(bytes32 batchId) external {
        Batch memory b = _existingBatch(batchId);
        if (b.pendingRecipient == 0) revert NoPendingHandOff(batchId);
        uint32 recipient = _activeIndex(msg.sender);
        if (b.pendingRecipient != recipient) revert NotPendingRecipient(batchId, msg.sender);
        _requireNotHeld(batchId, b.status);
        _recordCustody(batchId, b, recipient, 0);
        emit HandOffAccepted(batchId, msg.sender, b.remaining);
    }

    /// @inheritdoc IBatchRegistry
    function cancelHandOff(bytes32 batchId) external {
        (Batch memory b, uint32 sender) = _custodianBatch(batchId);
        if (b.pendingRecipient == 0) revert NoPendingHandOff(batchId);
        address to = _accountOf(b.pendingRecipient);
        _recordCustody(batchId, b, sender, 0);
        emit HandOffCancelled(batchId, msg.sender, to);
    }

    // ---------------------------------------------------------------- repacking

    /// @inheritdoc IBatchRegistry
    function split(bytes32 parentId, SplitPart[] calldata parts) external returns (bytes32[] memory childIds) {
        if (parts.length == 0) revert TooFewBatches(0, 1);
        (Batch memory parent, uint32 custodian) = _custodianBatch(parentId);
        _requireMovable(parentId, parent);
        childIds = new bytes32[](parts.length);
        for (uint256 i; i < parts.length; ++i) {
            uint64 quantity = parts[i].quantity;
            if (quantity > parent.remaining) revert InsufficientQuantity(parentId, parent.remaining, quantity);
            // unchecked: quantity <= parent.remaining was checked on the line above.
            unchecked {
                parent.remaining -= quantity;
            }
            bytes32 childId = _createBatch(parent.gtin, parts[i].lot, quantity, parent.unit, custodian);
            childIds[i] = childId;
            emit BatchSplit(parentId, childId, msg.sender, parts[i].lot, quantity);
        }
        if (parent.remaining == 0) parent.status = Status.SoldOut;
        _store(parentId, parent);
    }

    /// @inheritdoc IBatchRegistry
    function merge(bytes32[] calldata parentIds, string calldata lot) external returns (bytes32 childId) {
        if (parentIds.length < 2) revert TooFewBatches(parentIds.length, 2);
        uint32 custodian = _activeIndex(msg.sender);
        uint64[] memory quantities = new uint64[](parentIds.length);
        uint64 total;
        Batch memory first;
        for (uint256 i; i < parentIds.length; ++i) {
            bytes32 parentId = parentIds[i];
            Batch memory parent = _existingBatch(parentId);
            if (parent.custodian != custodian) revert NotCustodian(parentId, msg.sender);
            _requireMovable(parentId, parent);
            if (i == 0) first = parent;
            else if (parent.gtin != first.gtin || parent.unit != first.unit) revert MergeMismatch(parentIds[0], parentId);
            quantities[i] = parent.remaining;
            total += parent.remaining;
            parent.remaining = 0;
            parent.status = Status.SoldOut;
            _store(parentId, parent);
        }
        childId = _createBatch(first.gtin, lot, total, first.unit, custodian);
        emit BatchesMerged(childId, msg.sender, lot, total, parentIds, quantities);
    }

    // ---------------------------------------------------------------- food safety

    /// @inheritdoc IBatchRegistry
    function recordInspection(bytes32 batchId, bool passed, Residue[] calldata residues, bytes calldata reportCid)
        external
    {
        _activeIndex(msg.sender, LAB_ROLE);
        Batch memory b = _existingBatch(batchId);
        _requireCid(reportCid);
        if (passed) {
            for (uint256 i; i < residues.length; ++i) {
                if (residues[i].measured > residues[i].limit) revert InspectionInconsistent(i);
            }
        } else if (b.status == Status.Active) {
            b.status = Status.Quarantined;
            _store(batchId, b);
        }
        emit InspectionRecorded(batchId, msg.sender, passed, residues, reportCid);
    }

    /// @inheritdoc IBatchRegistry
    function releaseQuarantine(bytes32 batchId, string calldata reason) external {
        _activeIndex(msg.sender, REGULATOR_ROLE);
        Batch memory b = _existingBatch(batchId);
        if (b.status != Status.Quarantined) revert BatchNotQuarantined(batchId);
        if (bytes(reason).length == 0) revert MissingField("reason");
        b.status = b.remaining == 0 ? Status.SoldOut : Status.Active;
        _store(batchId, b);
        emit QuarantineReleased(batchId, msg.sender, reason);
    }

    /// @inheritdoc IBatchRegistry
    function recall(bytes32[] calldata batchIds, string calldata reason) external {
        _activeIndex(msg.sender, REGULATOR_ROLE);
        if (batchIds.length == 0) revert TooFewBatches(0, 1);
        if (bytes(reason).length == 0) revert MissingField("reason");
        for (uint256 i; i < batchIds.length; ++i) {
            bytes32 batchId = batchIds[i];
            Batch memory b = _existingBatch(batchId);
            if (b.status == Status.Recalled) continue;
            b.status = Status.Recalled;
            _store(batchId, b);
            emit RecallIssued(batchId, msg.sender, reason);
        }
    }

    // ---------------------------------------------------------------- sale

    /// @inheritdoc IBatchRegistry
    function recordSale(bytes32 batchId, uint64 quantity, uint128 price, bytes3 currency)
        external
        returns (bytes32 saleId, uint32 serial)
    {
        uint32 vendor = _activeIndex(msg.sender, VENDOR_ROLE);
        Batch memory b = _existingBatch(batchId);
        if (b.custodian != vendor) revert NotCustodian(batchId, msg.sender);
        _requireMovable(batchId, b);
        if (quantity == 0) revert ZeroQuantity();
        if (quantity > b.remaining) revert InsufficientQuantity(batchId, b.remaining, quantity);
        if (!Gs1.isUpperAlnum(bytes32(currency), 3)) revert InvalidCurrencyCode(currency);
        // unchecked: quantity <= remaining was checked above; four billion sales of one
        // batch would be needed to wrap the counter.
        unchecked {
            b.remaining -= quantity;
            serial = ++b.saleCount;
        }
        if (b.remaining == 0) b.status = Status.SoldOut;
        _store(batchId, b);
        saleId = saleIdOf(batchId, serial);
        emit SaleRecorded(batchId, msg.sender, saleId, serial, quantity, price, currency);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IBatchRegistry
    function batch(bytes32 batchId) external view returns (BatchView memory view_) {
        Batch memory b = _batches[batchId];
        view_ = BatchView({
            gtin: b.gtin,
            unit: b.unit,
            status: b.status == Status.Active && b.pendingRecipient != 0 ? Status.InTransit : b.status,
            remaining: b.remaining,
            custodian: _accountOf(b.custodian),
            pendingRecipient: _accountOf(b.pendingRecipient),
            saleCount: b.saleCount
        });
    }

    /// @inheritdoc IBatchRegistry
    function batchIdOf(uint64 gtin, string calldata lot) public pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lot));
    }

    /// @inheritdoc IBatchRegistry
    function saleIdOf(bytes32 batchId, uint32 serial) public pure returns (bytes32) {
        return keccak256(abi.encode(batchId, serial));
    }

    // ---------------------------------------------------------------- internals

    /// @dev The only place a new batch comes into being: validates the identifying fields
    /// and stores the batch as active in the custody of `custodian`.
    function _createBatch(uint64 gtin, string calldata lot, uint64 quantity, bytes3 unit, uint32 custodian)
        private
        returns (bytes32 batchId)
    {
        if (!Gs1.isValidGtin(gtin)) revert InvalidGtin(gtin);
        if (!Gs1.isValidLot(lot)) revert InvalidLotCode(lot);
        if (unit == bytes3(0) || !Gs1.isUpperAlnum(bytes32(unit), 3)) revert InvalidUnitCode(unit);
        if (quantity == 0) revert ZeroQuantity();
        if (quantity > MAX_QUANTITY) revert QuantityTooLarge(quantity, MAX_QUANTITY);
        batchId = batchIdOf(gtin, lot);
        if (_batches[batchId].status != Status.None) revert BatchAlreadyExists(batchId);
        _store(
            batchId,
            Batch({
                gtin: gtin,
                remaining: quantity,
                custodian: custodian,
                pendingRecipient: 0,
                saleCount: 0,
                unit: unit,
                status: Status.Active
            })
        );
    }

    /// @dev Every custody change (hand-off, acceptance, cancellation) goes through here.
    function _recordCustody(bytes32 batchId, Batch memory b, uint32 custodian, uint32 pendingRecipient) private {
        b.custodian = custodian;
        b.pendingRecipient = pendingRecipient;
        _store(batchId, b);
    }

    /// @dev The single write of batch state.
    function _store(bytes32 batchId, Batch memory b) private {
        _batches[batchId] = b;
    }

    function _existingBatch(bytes32 batchId) private view returns (Batch memory b) {
        b = _batches[batchId];
        if (b.status == Status.None) revert BatchNotFound(batchId);
    }

    /// @dev The batch and the caller's index; the caller must be its active custodian.
    function _custodianBatch(bytes32 batchId) private view returns (Batch memory b, uint32 caller) {
        b = _existingBatch(batchId);
        caller = _activeIndex(msg.sender);
        if (b.custodian != caller) revert NotCustodian(batchId, msg.sender);
    }

    /// @dev A batch may move, be repacked or be sold only when active, not on its way to
    /// someone, and not used up.
    function _requireMovable(bytes32 batchId, Batch memory b) private view {
        _requireNotHeld(batchId, b.status);
        if (b.status == Status.SoldOut) revert BatchSoldOut(batchId);
        if (b.pendingRecipient != 0) revert BatchInTransit(batchId, _accountOf(b.pendingRecipient));
    }

    function _requireNotHeld(bytes32 batchId, Status status) private pure {
        if (status == Status.Quarantined) revert BatchQuarantined(batchId);
        if (status == Status.Recalled) revert BatchRecalled(batchId);
    }

    function _importerIndex(address importer) private view returns (uint32) {
        Participant memory record = _participantRecord(importer);
        if (record.index == 0 || record.suspended || record.roles & roleBit(SUPPLIER_ROLE) == 0) {
            revert InvalidImporter(importer);
        }
        return record.index;
    }

    function _requirePast(uint64 date) private view {
        if (date > block.timestamp) revert DateInFuture(date, block.timestamp);
    }

    function _requireCid(bytes calldata cid) private pure {
        if (!Gs1.isDocumentCid(cid)) revert InvalidDocumentCid(cid);
    }

    // Split out of registerImport to keep its stack shallow.
    function _emitImport(
        bytes32 batchId,
        address importer,
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        bytes2 originCountry,
        string calldata declarationNumber,
        uint64 clearedAt,
        string calldata entryPort,
        bytes calldata documentCid
    ) private {
        emit ImportRegistered(
            batchId,
            importer,
            gtin,
            lot,
            quantity,
            unit,
            originCountry,
            declarationNumber,
            clearedAt,
            entryPort,
            msg.sender,
            documentCid
        );
    }
}
