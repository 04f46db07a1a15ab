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
 *
 * The batch calls ({registerHarvests}, {registerImports}, {recordSales}) run the single
 * calls' checks, which return the refusal (an encoded custom error) instead of reverting, so
 * that a batch call can name the refused item's index around it. {recordSales} reads and
 * writes each batch once per group of sales; {registerImports} emits the declaration's
 * shared fields once per call, not once per line.
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
    /// @dev The largest sale price and residue value, for the same reason (see {PriceTooLarge}).
    uint128 private constant MAX_PRICE = type(uint64).max >> 1;

    /**
     * @dev What {registerImports} recorded of one declaration (one slot): its line count,
     * how many lines are recorded, and a hash of the header that later calls must repeat.
     */
    struct DeclarationRecord {
        uint32 lineCount;
        uint32 recordedLines;
        bytes24 header;
    }

    mapping(bytes32 batchId => Batch) internal _batches;
    mapping(bytes32 declarationId => DeclarationRecord) private _declarations;

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
        bytes memory refusal;
        (batchId, refusal) = _registerHarvest(supplier, gtin, lot, quantity, unit, harvestedAt, origin, documentCid);
        _raise(refusal);
    }

    /// @inheritdoc IBatchRegistry
    function registerHarvests(HarvestLot[] calldata lots) external returns (bytes32[] memory batchIds) {
        uint32 supplier = _activeIndex(msg.sender, SUPPLIER_ROLE);
        if (lots.length == 0) revert TooFewBatches(0, 1);
        batchIds = new bytes32[](lots.length);
        for (uint256 i; i < lots.length;) {
            HarvestLot calldata l = lots[i];
            (bytes32 batchId, bytes memory refusal) =
                _registerHarvest(supplier, l.gtin, l.lot, l.quantity, l.unit, l.harvestedAt, l.origin, l.documentCid);
            if (refusal.length != 0) revert HarvestLotInvalid(i, refusal);
            batchIds[i] = batchId;
            // unchecked: i < lots.length, the length of a calldata array.
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc IBatchRegistry
    function registerImport(
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        address importer,
        bytes2 originCountry,
        bytes10 hsCode,
        string calldata declarationNumber,
        uint64 clearedAt,
        string calldata entryPort,
        bytes calldata documentCid
    ) external returns (bytes32 batchId) {
        _activeIndex(msg.sender, CUSTOMS_ROLE);
        uint32 importerIndex = _importerIndex(importer);
        if (!Gs1.isCountryCode(originCountry)) revert InvalidCountryCode(originCountry);
        if (hsCode != bytes10(0) && !Gs1.isHsCode(hsCode)) revert InvalidHsCode(hsCode);
        if (bytes(declarationNumber).length == 0) revert MissingField("declarationNumber");
        if (bytes(entryPort).length == 0) revert MissingField("entryPort");
        _requirePast(clearedAt);
        _requireCid(documentCid);
        if (_declarations[_declarationId(declarationNumber)].lineCount != 0) {
            revert DeclarationExists(declarationNumber);
        }
        batchId = _createBatch(gtin, lot, quantity, unit, importerIndex);
        _emitImport(
            batchId,
            importer,
            gtin,
            lot,
            quantity,
            unit,
            originCountry,
            hsCode,
            declarationNumber,
            clearedAt,
            entryPort,
            documentCid
        );
    }

    /// @inheritdoc IBatchRegistry
    function registerImports(Declaration calldata declaration, uint32 firstLine, ImportLine[] calldata lines)
        external
        returns (bytes32[] memory batchIds)
    {
        _activeIndex(msg.sender, CUSTOMS_ROLE);
        uint32 importerIndex = _importerIndex(declaration.importer);
        bytes32 declarationId = _recordDeclaration(declaration, firstLine, lines.length);
        emit DeclarationRegistered(
            declarationId,
            declaration.importer,
            msg.sender,
            declaration.number,
            declaration.entryPort,
            declaration.clearedAt,
            declaration.documentCid,
            firstLine,
            declaration.lineCount
        );
        batchIds = new bytes32[](lines.length);
        for (uint256 i; i < lines.length;) {
            ImportLine calldata line = lines[i];
            // unchecked: firstLine + lines.length <= lineCount, a uint32, was checked in
            // _recordDeclaration, so the line index fits a uint32.
            uint32 index;
            unchecked {
                index = uint32(firstLine + i);
            }
            (bytes32 batchId, bytes memory refusal) = _checkImportLine(line);
            if (refusal.length != 0) revert ImportLineInvalid(index, refusal);
            _storeNewBatch(batchId, line.gtin, line.quantity, line.unit, importerIndex);
            batchIds[i] = batchId;
            emit ImportLineRegistered(
                batchId,
                declarationId,
                line.gtin,
                index,
                line.lot,
                line.quantity,
                line.unit,
                line.originCountry,
                line.hsCode
            );
            // unchecked: i < lines.length, the length of a calldata array.
            unchecked {
                ++i;
            }
        }
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
        for (uint256 i; i < residues.length; ++i) {
            Residue calldata residue = residues[i];
            if (residue.measured > MAX_QUANTITY || residue.limit > MAX_QUANTITY) {
                revert ResidueTooLarge(i, MAX_QUANTITY);
            }
            if (passed && residue.measured > residue.limit) revert InspectionInconsistent(i);
        }
        if (!passed && b.status == Status.Active) {
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
        Batch memory b = _batches[batchId];
        _raise(_checkSaleBatch(batchId, b, vendor));
        _raise(_checkSale(batchId, b.remaining, quantity));
        if (price > MAX_PRICE) revert PriceTooLarge(price, MAX_PRICE);
        if (!Gs1.isUpperAlnum(bytes32(currency), 3)) revert InvalidCurrencyCode(currency);
        // unchecked: quantity <= remaining was checked above.
        unchecked {
            b.remaining -= quantity;
        }
        // Checked: pinned serials (see {recordSales}) may have taken the counter to its
        // largest value, and a wrap would give a used serial again.
        serial = ++b.saleCount;
        if (b.remaining == 0) b.status = Status.SoldOut;
        _store(batchId, b);
        saleId = _saleId(batchId, serial);
        emit SaleRecorded(batchId, msg.sender, saleId, serial, quantity, price, currency);
    }

    /// @inheritdoc IBatchRegistry
    function recordSales(BatchSales[] calldata batches) external {
        uint32 vendor = _activeIndex(msg.sender, VENDOR_ROLE);
        if (batches.length == 0) revert TooFewBatches(0, 1);
        uint256 index; // of the next sale in the call, across groups
        for (uint256 g; g < batches.length;) {
            BatchSales calldata group = batches[g];
            bytes32 batchId = group.batchId;
            bytes3 currency = group.currency;
            Batch memory b = _batches[batchId];
            bytes memory refusal = _checkSaleBatch(batchId, b, vendor);
            if (refusal.length == 0 && !Gs1.isUpperAlnum(bytes32(currency), 3)) {
                refusal = abi.encodeWithSelector(InvalidCurrencyCode.selector, currency);
            }
            if (refusal.length != 0) revert SaleInvalid(index, refusal);
            // The batch's counters on the stack while its sales are recorded, stored once after.
            uint64 remaining = b.remaining;
            uint32 serial = b.saleCount;
            Sale[] calldata sales = group.sales;
            uint32 first = group.firstSerial;
            if (first != 0) {
                // A pinned serial must be unused: above the batch's last (gaps allowed).
                if (first <= serial) {
                    revert SaleInvalid(index, abi.encodeWithSelector(SerialUsed.selector, batchId, first, serial));
                }
                // unchecked: first > serial >= 0.
                unchecked {
                    serial = first - 1;
                }
            }
            // The group's serials must not run past the largest: a wrap would reuse them.
            if (sales.length > type(uint32).max - serial) {
                revert SaleInvalid(index, abi.encodeWithSelector(SerialsExhausted.selector, batchId));
            }
            for (uint256 s; s < sales.length;) {
                Sale calldata sale = sales[s];
                uint64 quantity = sale.quantity;
                uint128 price = sale.price;
                uint64 belowQuantity;
                // unchecked: a zero quantity wraps to the largest uint64, which no remaining
                // quantity reaches (they stay below 2^63): one comparison refuses both zero
                // and more than is left.
                unchecked {
                    belowQuantity = quantity - 1;
                }
                if (belowQuantity >= remaining || price > MAX_PRICE) {
                    bytes memory refusal = _checkSale(batchId, remaining, quantity);
                    if (refusal.length == 0) {
                        refusal = abi.encodeWithSelector(PriceTooLarge.selector, price, MAX_PRICE);
                    }
                    revert SaleInvalid(index, refusal);
                }
                // unchecked: quantity <= remaining was checked above; the group's serials
                // fit (checked before the loop); index and s count calldata array entries.
                unchecked {
                    remaining -= quantity;
                    ++serial;
                    ++index;
                    ++s;
                }
                emit SaleRecorded(batchId, msg.sender, _saleId(batchId, serial), serial, quantity, price, currency);
            }
            b.remaining = remaining;
            b.saleCount = serial;
            if (remaining == 0) b.status = Status.SoldOut;
            _store(batchId, b);
            // unchecked: g < batches.length, the length of a calldata array.
            unchecked {
                ++g;
            }
        }
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
    function declarationLines(string calldata declarationNumber)
        external
        view
        returns (uint32 recordedLines, uint32 lineCount)
    {
        DeclarationRecord memory record = _declarations[_declarationId(declarationNumber)];
        return (record.recordedLines, record.lineCount);
    }

    /// @inheritdoc IBatchRegistry
    function batchIdOf(uint64 gtin, string calldata lot) public pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lot));
    }

    /// @inheritdoc IBatchRegistry
    function saleIdOf(bytes32 batchId, uint32 serial) external pure returns (bytes32) {
        return _saleId(batchId, serial);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Validates the identifying fields of a new batch and stores it (split, merge and
    /// the single import; the harvests and import lines check first, then store).
    function _createBatch(uint64 gtin, string calldata lot, uint64 quantity, bytes3 unit, uint32 custodian)
        private
        returns (bytes32 batchId)
    {
        bytes memory refusal;
        (batchId, refusal) = _checkNewBatch(gtin, lot, quantity, unit);
        _raise(refusal);
        _storeNewBatch(batchId, gtin, quantity, unit, custodian);
    }

    /**
     * @dev The id of a new batch and, when it cannot be registered, the refusal: the GTIN,
     * lot, unit and quantity rules and that no batch with this GTIN and lot exists.
     */
    function _checkNewBatch(uint64 gtin, string calldata lot, uint64 quantity, bytes3 unit)
        private
        view
        returns (bytes32 batchId, bytes memory refusal)
    {
        if (!Gs1.isValidGtin(gtin)) return (0, abi.encodeWithSelector(InvalidGtin.selector, gtin));
        if (!Gs1.isValidLot(lot)) return (0, abi.encodeWithSelector(InvalidLotCode.selector, lot));
        if (unit == bytes3(0) || !Gs1.isUpperAlnum(bytes32(unit), 3)) {
            return (0, abi.encodeWithSelector(InvalidUnitCode.selector, unit));
        }
        if (quantity == 0) return (0, abi.encodeWithSelector(ZeroQuantity.selector));
        if (quantity > MAX_QUANTITY) {
            return (0, abi.encodeWithSelector(QuantityTooLarge.selector, quantity, MAX_QUANTITY));
        }
        batchId = batchIdOf(gtin, lot);
        if (_batches[batchId].status != Status.None) {
            refusal = abi.encodeWithSelector(BatchAlreadyExists.selector, batchId);
        }
    }

    /**
     * @dev Registers one harvested lot of `supplier` (the caller): the checks of
     * {registerHarvest}, the new batch and its event; or, refused, the refusal and nothing.
     */
    function _registerHarvest(
        uint32 supplier,
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        uint64 harvestedAt,
        string calldata origin,
        bytes calldata documentCid
    ) private returns (bytes32 batchId, bytes memory refusal) {
        if (harvestedAt > block.timestamp) {
            return (0, abi.encodeWithSelector(DateInFuture.selector, harvestedAt, block.timestamp));
        }
        if (bytes(origin).length == 0) return (0, abi.encodeWithSelector(MissingField.selector, "origin"));
        if (!Gs1.isDocumentCid(documentCid)) {
            return (0, abi.encodeWithSelector(InvalidDocumentCid.selector, documentCid));
        }
        (batchId, refusal) = _checkNewBatch(gtin, lot, quantity, unit);
        if (refusal.length != 0) return (0, refusal);
        _storeNewBatch(batchId, gtin, quantity, unit, supplier);
        emit HarvestRegistered(batchId, msg.sender, gtin, lot, quantity, unit, harvestedAt, origin, documentCid);
    }

    /// @dev The checks of {registerImport} on what differs between the lines of a declaration.
    function _checkImportLine(ImportLine calldata line) private view returns (bytes32 batchId, bytes memory refusal) {
        if (!Gs1.isCountryCode(line.originCountry)) {
            return (0, abi.encodeWithSelector(InvalidCountryCode.selector, line.originCountry));
        }
        if (!Gs1.isHsCode(line.hsCode)) return (0, abi.encodeWithSelector(InvalidHsCode.selector, line.hsCode));
        return _checkNewBatch(line.gtin, line.lot, line.quantity, line.unit);
    }

    /**
     * @dev Checks the header of a {registerImports} call and records its lines as recorded
     * (before they are: a refused line reverts the whole call).
     */
    function _recordDeclaration(Declaration calldata declaration, uint32 firstLine, uint256 lines)
        private
        returns (bytes32 declarationId)
    {
        string calldata number = declaration.number;
        if (bytes(number).length == 0) revert MissingField("declarationNumber");
        if (bytes(declaration.entryPort).length == 0) revert MissingField("entryPort");
        _requirePast(declaration.clearedAt);
        _requireCid(declaration.documentCid);
        if (lines == 0) revert TooFewBatches(0, 1);
        declarationId = _declarationId(number);
        DeclarationRecord memory record = _declarations[declarationId];
        bytes24 header = bytes24(
            keccak256(
                abi.encode(
                    declaration.entryPort,
                    declaration.clearedAt,
                    declaration.importer,
                    declaration.documentCid,
                    declaration.lineCount
                )
            )
        );
        if (record.lineCount != 0) {
            if (record.recordedLines == record.lineCount) revert DeclarationExists(number);
            if (firstLine != record.recordedLines) {
                revert DeclarationOutOfOrder(number, record.recordedLines, firstLine);
            }
            if (record.header != header) revert DeclarationMismatch(number);
        } else if (firstLine != 0) {
            revert DeclarationOutOfOrder(number, 0, firstLine);
        }
        uint256 lineEnd = uint256(firstLine) + lines;
        if (lineEnd > declaration.lineCount) revert DeclarationLineOutOfRange(number, declaration.lineCount, lineEnd);
        _declarations[declarationId] =
            DeclarationRecord({lineCount: declaration.lineCount, recordedLines: uint32(lineEnd), header: header});
    }

    /**
     * @dev The refusal of sales of batch `b` (read from storage as `batchId`) by `vendor`:
     * the batch exists, is held by the vendor, and is active, not used up and not in transit.
     */
    function _checkSaleBatch(bytes32 batchId, Batch memory b, uint32 vendor)
        internal
        view
        returns (bytes memory refusal)
    {
        if (b.status == Status.None) return abi.encodeWithSelector(BatchNotFound.selector, batchId);
        if (b.custodian != vendor) return abi.encodeWithSelector(NotCustodian.selector, batchId, msg.sender);
        if (b.status == Status.Quarantined) return abi.encodeWithSelector(BatchQuarantined.selector, batchId);
        if (b.status == Status.Recalled) return abi.encodeWithSelector(BatchRecalled.selector, batchId);
        if (b.status == Status.SoldOut) return abi.encodeWithSelector(BatchSoldOut.selector, batchId);
        if (b.pendingRecipient != 0) {
            return abi.encodeWithSelector(BatchInTransit.selector, batchId, _accountOf(b.pendingRecipient));
        }
    }

    /// @dev The refusal of a sale of `quantity` from a batch with `remaining` left.
    function _checkSale(bytes32 batchId, uint64 remaining, uint64 quantity)
        private
        pure
        returns (bytes memory refusal)
    {
        if (remaining == 0) return abi.encodeWithSelector(BatchSoldOut.selector, batchId);
        if (quantity == 0) return abi.encodeWithSelector(ZeroQuantity.selector);
        if (quantity > remaining) {
            return abi.encodeWithSelector(InsufficientQuantity.selector, batchId, remaining, quantity);
        }
    }

    /// @dev Reverts with `refusal`, an encoded custom error, unless it is empty.
    function _raise(bytes memory refusal) internal pure {
        if (refusal.length != 0) {
            assembly ("memory-safe") {
                revert(add(refusal, 0x20), mload(refusal))
            }
        }
    }

    /// @dev Stores a new batch, checked by {_checkNewBatch}, as active in the custody of
    /// `custodian`.
    function _storeNewBatch(bytes32 batchId, uint64 gtin, uint64 quantity, bytes3 unit, uint32 custodian) private {
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

    /// @dev keccak256(abi.encode(batchId, serial)), hashed in the scratch space so that a
    /// loop of sales allocates no memory for it.
    function _saleId(bytes32 batchId, uint32 serial) private pure returns (bytes32 saleId) {
        assembly ("memory-safe") {
            mstore(0x00, batchId)
            mstore(0x20, serial)
            saleId := keccak256(0x00, 0x40)
        }
    }

    function _declarationId(string calldata declarationNumber) private pure returns (bytes32) {
        return keccak256(bytes(declarationNumber));
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

    function _requireCid(bytes calldata cid) internal pure {
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
        bytes10 hsCode,
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
            hsCode,
            declarationNumber,
            clearedAt,
            entryPort,
            msg.sender,
            documentCid
        );
    }
}
