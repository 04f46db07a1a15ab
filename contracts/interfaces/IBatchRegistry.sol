// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev The life of a batch of fresh produce, from farm harvest or customs entry to the sale
 * at a market stall. Storage keeps only what the contract must check (custodian, status,
 * remaining quantity, pending recipient, GTIN and unit for merges); every key data element
 * of each critical tracking event travels in its event, which the indexer mirrors.
 *
 * A batch is identified by `batchIdOf(gtin, lot)`: GTIN + lot is the GS1 traceability lot
 * code, globally unique, so the same lot cannot be registered twice by anyone.
 *
 * Quantities are whole numbers in the batch's unit (UN/ECE Rec 20 code: "KGM", "GRM",
 * "H87" for pieces, ...); dates are Unix seconds; prices are in minor units of an ISO 4217
 * currency; document CIDs are binary CIDs (IPFS).
 */
interface IBatchRegistry {
    /// @dev Stored status. "In transit" is not stored: it is an active batch with a pending
    /// recipient (see {batch}).
    enum Status {
        None,
        Active,
        InTransit,
        Quarantined,
        Recalled,
        SoldOut
    }

    /// @dev One child of a split: its new lot code and quantity (in the parent's unit).
    struct SplitPart {
        string lot;
        uint64 quantity;
    }

    /**
     * @dev One residue measured by a lab. `measured` and `limit` are whole numbers in
     * `unit` (labs use "ug/kg", so a 0.01 mg/kg maximum residue level is 10).
     */
    struct Residue {
        string substance;
        uint64 measured;
        uint64 limit;
        string unit;
    }

    /// @dev One harvested lot of a {registerHarvests} call: the arguments of {registerHarvest}.
    struct HarvestLot {
        uint64 gtin;
        string lot;
        uint64 quantity;
        bytes3 unit;
        uint64 harvestedAt;
        string origin;
        bytes documentCid;
    }

    /**
     * @dev The header of a customs declaration, shared by all its lines. `lineCount` is the
     * number of lines of the whole declaration, which may be recorded in several
     * {registerImports} calls when one transaction cannot hold them all.
     */
    struct Declaration {
        string number;
        string entryPort;
        uint64 clearedAt;
        address importer;
        bytes documentCid;
        uint32 lineCount;
    }

    /**
     * @dev One line of a customs declaration: one imported batch. `hsCode` is the Harmonized
     * System code of 6 to 10 ASCII digits, left-aligned and padded with zero bytes
     * ("081060" is `0x303831303630` followed by four zero bytes).
     */
    struct ImportLine {
        uint64 gtin;
        string lot;
        uint64 quantity;
        bytes3 unit;
        bytes2 originCountry;
        bytes10 hsCode;
    }

    /// @dev One sale of a {BatchSales} group: its quantity and price.
    struct Sale {
        uint64 quantity;
        uint128 price;
    }

    /// @dev Sales of one batch in one currency, in a {recordSales} call. The sales take the
    /// consecutive serials from `firstSerial` on (a serial the seller reserved for each, so a
    /// receipt can name its sale before it is mined), or, with 0, the batch's next ones.
    struct BatchSales {
        bytes32 batchId;
        bytes3 currency;
        uint32 firstSerial;
        Sale[] sales;
    }

    /// @dev A batch as clients see it: addresses instead of participant indexes.
    struct BatchView {
        uint64 gtin;
        bytes3 unit;
        Status status;
        uint64 remaining;
        address custodian;
        address pendingRecipient;
        uint32 saleCount;
    }

    /// @dev A supplier registered a harvested batch (FSMA 204 harvesting CTE).
    event HarvestRegistered(
        bytes32 indexed batchId,
        address indexed supplier,
        uint64 indexed gtin,
        string lot,
        uint64 quantity,
        bytes3 unit,
        uint64 harvestedAt,
        string origin,
        bytes documentCid
    );

    /// @dev Customs cleared an imported batch into the custody of `importer` (FSMA 204
    /// first land-based receiving CTE). `entryPort` is a UN/LOCODE or GLN; `hsCode` is
    /// zero when the single call was not given one.
    event ImportRegistered(
        bytes32 indexed batchId,
        address indexed importer,
        uint64 indexed gtin,
        string lot,
        uint64 quantity,
        bytes3 unit,
        bytes2 originCountry,
        bytes10 hsCode,
        string declarationNumber,
        uint64 clearedAt,
        string entryPort,
        address customs,
        bytes documentCid
    );

    /**
     * @dev Customs cleared lines `firstLine` onwards of the declaration `declarationNumber`
     * (`lineCount` lines in all) into the custody of `importer`. Emitted once per
     * {registerImports} call, before the {ImportLineRegistered} of its lines, which carry
     * only what differs between lines. `declarationId` is `keccak256(bytes(declarationNumber))`.
     */
    event DeclarationRegistered(
        bytes32 indexed declarationId,
        address indexed importer,
        address indexed customs,
        string declarationNumber,
        string entryPort,
        uint64 clearedAt,
        bytes documentCid,
        uint32 firstLine,
        uint32 lineCount
    );

    /// @dev Line `line` of declaration `declarationId` cleared the imported batch `batchId`
    /// (FSMA 204 first land-based receiving CTE): an {ImportRegistered} whose shared fields
    /// are in the {DeclarationRegistered} emitted just before in the same transaction.
    event ImportLineRegistered(
        bytes32 indexed batchId,
        bytes32 indexed declarationId,
        uint64 indexed gtin,
        uint32 line,
        string lot,
        uint64 quantity,
        bytes3 unit,
        bytes2 originCountry,
        bytes10 hsCode
    );

    /// @dev The custodian `from` shipped the whole remaining `quantity` to `to` (shipping CTE).
    event HandOffInitiated(bytes32 indexed batchId, address indexed from, address indexed to, uint64 quantity);

    /// @dev `to` accepted the pending hand-off of `batchId` and is its custodian now
    /// (receiving CTE). The sender is the `from` of the batch's last {HandOffInitiated}; it
    /// is not repeated here because looking it up would cost every acceptance a storage read.
    event HandOffAccepted(bytes32 indexed batchId, address indexed to, uint64 quantity);

    /// @dev `from` took back a hand-off to `to` before it was accepted.
    event HandOffCancelled(bytes32 indexed batchId, address indexed from, address indexed to);

    /// @dev `custodian` repacked `quantity` of `parentId` into the new batch `childId`
    /// (transformation CTE). The child has the parent's GTIN and unit.
    event BatchSplit(
        bytes32 indexed parentId, bytes32 indexed childId, address indexed custodian, string lot, uint64 quantity
    );

    /// @dev `custodian` merged all that remained of `parentIds` (`parentQuantities`) into the
    /// new batch `childId` of `quantity` (transformation CTE).
    event BatchesMerged(
        bytes32 indexed childId,
        address indexed custodian,
        string lot,
        uint64 quantity,
        bytes32[] parentIds,
        uint64[] parentQuantities
    );

    /// @dev `lab` tested `batchId`. A failed test quarantines an active batch.
    event InspectionRecorded(
        bytes32 indexed batchId, address indexed lab, bool indexed passed, Residue[] residues, bytes reportCid
    );

    /// @dev `regulator` released `batchId` from quarantine.
    event QuarantineReleased(bytes32 indexed batchId, address indexed regulator, string reason);

    /// @dev `vendor` sold `quantity` of `batchId` for `price` minor units of `currency`. The
    /// sale's serial is above every serial of the batch's earlier sales (consecutive from 1
    /// unless {recordSales} pinned serials left gaps); `saleId` is `saleIdOf(batchId, serial)`.
    event SaleRecorded(
        bytes32 indexed batchId,
        address indexed vendor,
        bytes32 indexed saleId,
        uint32 serial,
        uint64 quantity,
        uint128 price,
        bytes3 currency
    );

    /// @dev `regulator` recalled `batchId`; it can no longer move, be repacked or be sold.
    event RecallIssued(bytes32 indexed batchId, address indexed regulator, string reason);

    /// @param gtin The rejected GTIN (not 14 digits or a wrong check digit).
    error InvalidGtin(uint64 gtin);
    /// @param lot The rejected lot code (empty or longer than 20 bytes).
    error InvalidLotCode(string lot);
    /// @param unit The rejected unit code (not upper-case letters and digits).
    error InvalidUnitCode(bytes3 unit);
    /// @param country The rejected country code (not two upper-case letters).
    error InvalidCountryCode(bytes2 country);
    /// @param currency The rejected currency code (not three upper-case letters).
    error InvalidCurrencyCode(bytes3 currency);
    /// @param cid The rejected document CID (not a binary CIDv0 or CIDv1).
    error InvalidDocumentCid(bytes cid);
    /// @dev A required text field (origin, declaration number, entry port, reason) is empty.
    error MissingField(string field);
    /// @dev Quantities are positive.
    error ZeroQuantity();
    /// @param quantity The batch quantity over `max` (2^63 - 1, so that every SQL database
    /// the indexer writes to holds it in a signed 64-bit integer).
    error QuantityTooLarge(uint64 quantity, uint64 max);
    /// @param price The sale price over `max` (2^63 - 1 minor units, for the same reason).
    error PriceTooLarge(uint128 price, uint128 max);
    /// @param date The date given. @param nowTimestamp The block's time.
    error DateInFuture(uint64 date, uint256 nowTimestamp);
    /// @param batchId The batch that exists already.
    error BatchAlreadyExists(bytes32 batchId);
    /// @param batchId The batch that does not exist.
    error BatchNotFound(bytes32 batchId);
    /// @param batchId The batch. @param account The caller, who does not hold it.
    error NotCustodian(bytes32 batchId, address account);
    /// @param batchId The batch. @param recipient Where it is on its way to.
    error BatchInTransit(bytes32 batchId, address recipient);
    /// @param batchId The batch with no pending hand-off.
    error NoPendingHandOff(bytes32 batchId);
    /// @param batchId The batch. @param account The caller, who is not its pending recipient.
    error NotPendingRecipient(bytes32 batchId, address account);
    /// @param batchId The batch its custodian tried to hand to itself.
    error HandOffToSelf(bytes32 batchId);
    /// @param batchId The batch held after a failed residue test.
    error BatchQuarantined(bytes32 batchId);
    /// @param batchId The recalled batch.
    error BatchRecalled(bytes32 batchId);
    /// @param batchId The batch with nothing left.
    error BatchSoldOut(bytes32 batchId);
    /// @param batchId The batch that is not quarantined.
    error BatchNotQuarantined(bytes32 batchId);
    /// @param batchId The batch. @param remaining What is left. @param requested What was asked.
    error InsufficientQuantity(bytes32 batchId, uint64 remaining, uint64 requested);
    /// @dev A split needs at least one part; a merge at least two batches; a recall one.
    error TooFewBatches(uint256 given, uint256 needed);
    /// @param first The first batch of the merge. @param other A batch of another GTIN or unit.
    error MergeMismatch(bytes32 first, bytes32 other);
    /// @param index The residue over its limit in an inspection reported as passed.
    error InspectionInconsistent(uint256 index);
    /// @param index The residue whose measured value or limit is over `max` (2^63 - 1, so
    /// that every SQL database the indexer writes to holds it in a signed 64-bit integer).
    error ResidueTooLarge(uint256 index, uint64 max);
    /// @param importer Customs may clear imports only to an active supplier.
    error InvalidImporter(address importer);
    /// @param hsCode The rejected HS code (not 6 to 10 ASCII digits padded with zero bytes).
    error InvalidHsCode(bytes10 hsCode);
    /// @param declarationNumber A declaration whose lines are all recorded already (or, for
    /// {registerImport}, one recorded through {registerImports}).
    error DeclarationExists(string declarationNumber);
    /// @param declarationNumber A declaration recorded in several calls. @param nextLine The
    /// first line not yet recorded. @param firstLine The first line of the refused call.
    error DeclarationOutOfOrder(string declarationNumber, uint256 nextLine, uint256 firstLine);
    /// @param declarationNumber A declaration continued with other header fields than its
    /// first call's (entry port, clearance date, importer, document or line count).
    error DeclarationMismatch(string declarationNumber);
    /// @param declarationNumber The declaration. @param lineCount Its lines. @param lineEnd
    /// One past the last line of the refused call.
    error DeclarationLineOutOfRange(string declarationNumber, uint256 lineCount, uint256 lineEnd);
    /// @param index The lot's position in the call (0-based). @param reason The error the
    /// single {registerHarvest} would revert with for this lot (selector and arguments).
    error HarvestLotInvalid(uint256 index, bytes reason);
    /// @param index The line's position in the declaration (0-based). @param reason The
    /// error the single {registerImport} would revert with for this line.
    error ImportLineInvalid(uint256 index, bytes reason);
    /// @param index The sale's position in the call, counting across batches in input order
    /// (0-based; the position of its {SaleRecorded} among the call's). @param reason The
    /// error the single {recordSale} would revert with for this sale.
    error SaleInvalid(uint256 index, bytes reason);
    /// @dev A {recordSales} group pinned `serial` to a sale of `batchId`, but the batch's
    /// sales have used serials up to `lastSerial` (>= `serial`): a serial names one sale only.
    /// @dev A {recordSales} group's serials would run past 2^32-1 (serials are never reused).
    error SerialsExhausted(bytes32 batchId);
    error SerialUsed(bytes32 batchId, uint32 serial, uint32 lastSerial);

    /**
     * @dev Registers a harvested batch in the caller's custody.
     *
     * Requirements:
     * - the caller is an active supplier;
     * - `gtin` is a valid GTIN-14, `lot` 1-20 bytes, `unit` a Rec 20 code, `quantity` > 0;
     * - `harvestedAt` is not in the future; `origin` (GLN or "geo:lat,long") is not empty;
     * - no batch with this GTIN and lot exists.
     *
     * Emits a {HarvestRegistered} event.
     */
    function registerHarvest(
        uint64 gtin,
        string calldata lot,
        uint64 quantity,
        bytes3 unit,
        uint64 harvestedAt,
        string calldata origin,
        bytes calldata documentCid
    ) external returns (bytes32 batchId);

    /**
     * @dev Registers many harvested lots in the caller's custody, all or nothing: the lots
     * of {registerHarvest}, one after another, in one transaction.
     *
     * Requirements:
     * - the caller is an active supplier; at least one lot;
     * - every lot meets the requirements of {registerHarvest} and has a GTIN and lot not
     *   registered before, in this call or earlier. A refused lot reverts the whole call with
     *   {HarvestLotInvalid}, naming the lot's index and the single call's error.
     *
     * Emits a {HarvestRegistered} event per lot, in input order.
     */
    function registerHarvests(HarvestLot[] calldata lots) external returns (bytes32[] memory batchIds);

    /**
     * @dev Registers an imported batch cleared by customs, in the custody of `importer`.
     * Lines recorded one call each may share a declaration number; a number recorded through
     * {registerImports} takes no further single lines.
     *
     * Requirements:
     * - the caller is an active customs officer; `importer` is an active supplier;
     * - the same GTIN, lot, unit and quantity rules as {registerHarvest};
     * - `originCountry` is ISO 3166-1 alpha-2; `hsCode` is zero or 6 to 10 digits;
     *   `declarationNumber` and `entryPort` are not empty; `clearedAt` is not in the future;
     * - `declarationNumber` was not recorded through {registerImports}.
     *
     * Emits an {ImportRegistered} event.
     */
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
    ) external returns (bytes32 batchId);

    /**
     * @dev Records lines `firstLine` to `firstLine + lines.length - 1` of the customs
     * declaration `declaration`, all or nothing; each line becomes a batch in the custody of
     * the importer. A declaration of up to a block's worth of lines is one call with
     * `firstLine` 0 and `lineCount` equal to `lines.length`; a longer one is recorded in
     * calls that continue where the previous one stopped, with the same header.
     *
     * Requirements:
     * - the caller is an active customs officer; the importer is an active supplier;
     * - the declaration number and entry port are not empty; the clearance date is not in the
     *   future; the document CID is empty or well formed; at least one line;
     * - the declaration is not completely recorded ({DeclarationExists}); `firstLine` is its
     *   next unrecorded line ({DeclarationOutOfOrder}); the header equals its first call's
     *   ({DeclarationMismatch}); the lines fit in `lineCount` ({DeclarationLineOutOfRange});
     * - every line has an ISO 3166-1 alpha-2 origin, an HS code of 6 to 10 digits and the
     *   GTIN, lot, unit and quantity rules of {registerHarvest}, with a GTIN and lot not
     *   registered before. A refused line reverts the whole call with {ImportLineInvalid},
     *   naming the line's index in the declaration and the single call's error.
     *
     * Emits a {DeclarationRegistered} event, then an {ImportLineRegistered} event per line.
     */
    function registerImports(Declaration calldata declaration, uint32 firstLine, ImportLine[] calldata lines)
        external
        returns (bytes32[] memory batchIds);

    /**
     * @dev Ships the whole of `batchId` to `to`; custody moves when `to` accepts.
     *
     * Requirements:
     * - the caller is an active participant holding the batch; the batch is active with
     *   something left and no pending hand-off;
     * - `to` is another active participant.
     *
     * Emits a {HandOffInitiated} event.
     */
    function handOff(bytes32 batchId, address to) external;

    /**
     * @dev Accepts the pending hand-off of `batchId`; the caller becomes its custodian.
     *
     * Requirements:
     * - the caller is the active pending recipient; the batch is not quarantined or recalled.
     *
     * Emits a {HandOffAccepted} event.
     */
    function acceptHandOff(bytes32 batchId) external;

    /**
     * @dev Takes back the pending hand-off of `batchId`.
     *
     * Requirements:
     * - the caller is the batch's active custodian and a hand-off is pending.
     *
     * Emits a {HandOffCancelled} event.
     */
    function cancelHandOff(bytes32 batchId) external;

    /**
     * @dev Repacks part or all of `parentId` into new batches, one per `parts` entry, in the
     * caller's custody. Children keep the parent's GTIN and unit; their quantities together
     * never exceed what remains of the parent.
     *
     * Requirements:
     * - the caller is the batch's active custodian; the batch is active and not in transit;
     * - at least one part; each part has a valid new lot and a positive quantity.
     *
     * Emits a {BatchSplit} event per part.
     */
    function split(bytes32 parentId, SplitPart[] calldata parts) external returns (bytes32[] memory childIds);

    /**
     * @dev Merges all that remains of `parentIds` (two or more batches of one GTIN and unit,
     * all held by the caller) into a new batch with lot `lot`. The parents are used up.
     *
     * Requirements:
     * - the caller is the active custodian of every parent; every parent is active, not in
     *   transit and not used up; the new lot is valid and unused.
     *
     * Emits a {BatchesMerged} event.
     */
    function merge(bytes32[] calldata parentIds, string calldata lot) external returns (bytes32 childId);

    /**
     * @dev Records a residue test of `batchId`. A failed test of an active batch quarantines
     * it; only a regulator can release it.
     *
     * Requirements:
     * - the caller is an active lab; the batch exists;
     * - a test reported as passed has no residue over its limit;
     * - no measured value or limit is over 2^63 - 1 ({ResidueTooLarge}).
     *
     * Emits an {InspectionRecorded} event.
     */
    function recordInspection(bytes32 batchId, bool passed, Residue[] calldata residues, bytes calldata reportCid)
        external;

    /**
     * @dev Releases `batchId` from quarantine.
     *
     * Requirements:
     * - the caller is an active regulator; the batch is quarantined; `reason` is not empty.
     *
     * Emits a {QuarantineReleased} event.
     */
    function releaseQuarantine(bytes32 batchId, string calldata reason) external;

    /**
     * @dev Records a sale at the caller's stall; returns the sale's id and serial (the
     * batch's last serial plus one).
     *
     * Requirements:
     * - the caller is an active vendor holding the batch;
     * - the batch is active (not quarantined, recalled or in transit);
     * - 0 < `quantity` <= remaining; `price` <= 2^63 - 1 ({PriceTooLarge}); `currency` is
     *   three upper-case letters.
     *
     * Emits a {SaleRecorded} event.
     */
    function recordSale(bytes32 batchId, uint64 quantity, uint128 price, bytes3 currency)
        external
        returns (bytes32 saleId, uint32 serial);

    /**
     * @dev Records many sales at the caller's stall, all or nothing: the sales of
     * {recordSale}, one after another, in one transaction. Sales are grouped by batch and
     * currency, so that each group reads and writes its batch once and checks its currency
     * once; a batch may appear in several groups.
     *
     * Serials: a group with `firstSerial` 0 continues the batch's serials (as {recordSale}
     * does); otherwise its sales take `firstSerial`, `firstSerial + 1`, ... (serials the
     * seller reserved when it accepted the sales, printed on receipts before mining). A
     * pinned serial must be above the batch's last used one (gaps are allowed: a serial
     * reserved for a sale that was refused is never used), so no serial names two sales.
     * The batch's `saleCount` is the last serial used.
     *
     * Requirements:
     * - the caller is an active vendor; at least one group;
     * - a group's `firstSerial` is 0 or above the batch's last serial, else {SaleInvalid}
     *   at its first sale's index with {SerialUsed}; its serials fit in 32 bits
     *   ({SerialsExhausted});
     * - every sale meets the requirements of {recordSale} at its turn (the sales before it
     *   in the call have taken their quantity). A refused sale reverts the whole call with
     *   {SaleInvalid}, naming its index and the single call's error; a refused batch or
     *   currency is reported at the index of its group's first sale.
     *
     * Emits a {SaleRecorded} event per sale, in input order, exactly as {recordSale} does.
     */
    function recordSales(BatchSales[] calldata batches) external;

    /**
     * @dev Recalls `batchIds`. A batch already recalled is skipped (and emits nothing).
     *
     * Requirements:
     * - the caller is an active regulator; at least one batch; every batch exists;
     *   `reason` is not empty.
     *
     * Emits a {RecallIssued} event per newly recalled batch.
     */
    function recall(bytes32[] calldata batchIds, string calldata reason) external;

    /// @dev The batch `batchId` (status None if it does not exist).
    function batch(bytes32 batchId) external view returns (BatchView memory);

    /// @dev How many lines of the declaration `declarationNumber` {registerImports} has
    /// recorded, out of `lineCount` (both 0 when it recorded none).
    function declarationLines(string calldata declarationNumber)
        external
        view
        returns (uint32 recordedLines, uint32 lineCount);

    /// @dev The id of the batch with GTIN `gtin` and lot `lot`.
    function batchIdOf(uint64 gtin, string calldata lot) external pure returns (bytes32);

    /// @dev The id of the `serial`-th sale of `batchId`.
    function saleIdOf(bytes32 batchId, uint32 serial) external pure returns (bytes32);
}
