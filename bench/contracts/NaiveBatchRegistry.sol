// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title NaiveBatchRegistry
 * @dev Gas baseline for bench/gas.py, NOT for deployment: the batch life-cycle of FreshLedger
 * written the common way. Every field lives in storage (strings, structs, arrays of
 * structs), every check is a require() with a revert string, roles are strings looked up in
 * a stored mapping, and the caller supplies the sale id, a string whose uniqueness is
 * checked in storage. It runs the same nine life-cycle steps with the same inputs as
 * FreshLedger and the same checks on them (GTIN check digit, lot length, dates, codes, CIDs).
 * Repacked batches copy their parent's origin and link their parents; they have no document
 * of their own.
 */
contract NaiveBatchRegistry {
    enum Status {
        None,
        Active,
        InTransit,
        Quarantined,
        Recalled,
        SoldOut
    }

    struct Participant {
        string name;
        string role;
        string identifier;
        bool active;
    }

    struct Batch {
        string lot;
        string origin;
        string unit;
        uint256 gtin;
        uint256 quantity;
        address custodian;
        address pendingRecipient;
        Status status;
        bytes documentCid;
        bytes32[] parents;
        uint256 timestamp;
        address registeredBy;
    }

    struct ImportDetails {
        string declarationNumber;
        string entryPort;
        address customs;
    }

    struct Residue {
        string substance;
        uint256 measured;
        uint256 limit;
        string unit;
    }

    struct Inspection {
        address lab;
        bool passed;
        bytes reportCid;
        uint256 timestamp;
        Residue[] residues;
    }

    struct Sale {
        string saleId;
        bytes32 batchId;
        address vendor;
        uint256 quantity;
        uint256 price;
        string currency;
        uint256 timestamp;
    }

    struct Recall {
        string reason;
        address regulator;
        uint256 timestamp;
    }

    address public owner;
    mapping(address => Participant) public participants;
    mapping(string => mapping(address => bool)) public roles;
    mapping(bytes32 => Batch) public batches;
    mapping(bytes32 => ImportDetails) public imports;
    mapping(bytes32 => Inspection[]) public inspections;
    mapping(string => Sale) public sales;
    mapping(bytes32 => Recall) public recalls;

    event ParticipantRegistered(address indexed account, string name, string role);
    event BatchRegistered(bytes32 indexed batchId, address indexed custodian, uint256 gtin, string lot, uint256 quantity);
    event HandOffInitiated(bytes32 indexed batchId, address indexed from, address indexed to);
    event HandOffAccepted(bytes32 indexed batchId, address indexed to);
    event BatchSplit(bytes32 indexed parentId, bytes32 indexed childId, string lot, uint256 quantity);
    event BatchesMerged(bytes32 indexed childId, bytes32[] parentIds, string lot, uint256 quantity);
    event InspectionRecorded(bytes32 indexed batchId, address indexed lab, bool passed);
    event SaleRecorded(bytes32 indexed batchId, string saleId, uint256 quantity, uint256 price, string currency);
    event RecallIssued(bytes32 indexed batchId, string reason);

    modifier onlyOwner() {
        require(msg.sender == owner, "Only the owner can do this");
        _;
    }

    modifier onlyRole(string memory role) {
        require(participants[msg.sender].active, "Caller is not an active participant");
        require(roles[role][msg.sender], "Caller does not have the required role");
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    function registerParticipant(address account, string memory name, string memory role, string memory identifier)
        public
        onlyOwner
    {
        require(!participants[account].active, "Participant already registered");
        require(bytes(name).length > 0, "Name is required");
        require(bytes(identifier).length > 0, "Identifier is required");
        participants[account] = Participant(name, role, identifier, true);
        roles[role][account] = true;
        emit ParticipantRegistered(account, name, role);
    }

    function registerHarvest(
        uint256 gtin,
        string memory lot,
        uint256 quantity,
        string memory unit,
        uint256 harvestedAt,
        string memory origin,
        bytes memory documentCid
    ) public onlyRole("SUPPLIER") returns (bytes32) {
        require(harvestedAt <= block.timestamp, "Harvest date is in the future");
        require(bytes(origin).length > 0, "Origin is required");
        bytes32 batchId = newBatch(gtin, lot, quantity, unit, msg.sender);
        Batch storage b = batches[batchId];
        b.origin = origin;
        b.timestamp = harvestedAt;
        b.documentCid = checkedCid(documentCid);
        return batchId;
    }

    function registerImport(
        uint256 gtin,
        string memory lot,
        uint256 quantity,
        string memory unit,
        address importer,
        string memory originCountry,
        string memory declarationNumber,
        uint256 clearedAt,
        string memory entryPort,
        bytes memory documentCid
    ) public onlyRole("CUSTOMS") returns (bytes32) {
        require(participants[importer].active && roles["SUPPLIER"][importer], "Importer must be an active supplier");
        require(bytes(originCountry).length == 2, "Origin country must be two letters");
        require(bytes(declarationNumber).length > 0, "Declaration number is required");
        require(bytes(entryPort).length > 0, "Entry port is required");
        require(clearedAt <= block.timestamp, "Clearance date is in the future");
        bytes32 batchId = newBatch(gtin, lot, quantity, unit, importer);
        Batch storage b = batches[batchId];
        b.origin = originCountry;
        b.timestamp = clearedAt;
        b.documentCid = checkedCid(documentCid);
        imports[batchId] = ImportDetails(declarationNumber, entryPort, msg.sender);
        return batchId;
    }

    function handOff(bytes32 batchId, address to) public {
        Batch storage b = batches[batchId];
        require(b.status != Status.None, "Batch does not exist");
        require(participants[msg.sender].active, "Caller is not an active participant");
        require(b.custodian == msg.sender, "Caller is not the custodian");
        require(b.status == Status.Active, "Batch is not active");
        require(b.quantity > 0, "Batch is sold out");
        require(participants[to].active, "Recipient is not an active participant");
        require(to != msg.sender, "Cannot hand off to yourself");
        b.pendingRecipient = to;
        b.status = Status.InTransit;
        emit HandOffInitiated(batchId, msg.sender, to);
    }

    function acceptHandOff(bytes32 batchId) public {
        Batch storage b = batches[batchId];
        require(b.status == Status.InTransit, "Batch is not in transit");
        require(participants[msg.sender].active, "Caller is not an active participant");
        require(b.pendingRecipient == msg.sender, "Caller is not the recipient");
        b.custodian = msg.sender;
        b.pendingRecipient = address(0);
        b.status = Status.Active;
        emit HandOffAccepted(batchId, msg.sender);
    }

    function split(bytes32 parentId, string[] memory lots, uint256[] memory quantities)
        public
        returns (bytes32[] memory)
    {
        require(lots.length > 0, "At least one part is required");
        require(lots.length == quantities.length, "Lots and quantities differ in length");
        Batch storage parent = batches[parentId];
        require(participants[msg.sender].active, "Caller is not an active participant");
        require(parent.custodian == msg.sender, "Caller is not the custodian");
        require(parent.status == Status.Active, "Batch is not active");
        bytes32[] memory childIds = new bytes32[](lots.length);
        for (uint256 i = 0; i < lots.length; i++) {
            require(quantities[i] <= parent.quantity, "Insufficient quantity");
            parent.quantity -= quantities[i];
            bytes32 childId = newBatch(parent.gtin, lots[i], quantities[i], parent.unit, msg.sender);
            Batch storage child = batches[childId];
            child.origin = parent.origin;
            child.timestamp = block.timestamp;
            child.parents.push(parentId);
            childIds[i] = childId;
            emit BatchSplit(parentId, childId, lots[i], quantities[i]);
        }
        if (parent.quantity == 0) {
            parent.status = Status.SoldOut;
        }
        return childIds;
    }

    function merge(bytes32[] memory parentIds, string memory lot) public returns (bytes32) {
        require(parentIds.length >= 2, "At least two batches are required");
        require(participants[msg.sender].active, "Caller is not an active participant");
        Batch storage first = batches[parentIds[0]];
        uint256 total = 0;
        for (uint256 i = 0; i < parentIds.length; i++) {
            Batch storage parent = batches[parentIds[i]];
            require(parent.status == Status.Active, "Batch is not active");
            require(parent.custodian == msg.sender, "Caller is not the custodian");
            require(parent.quantity > 0, "Batch is sold out");
            require(parent.gtin == first.gtin, "GTINs differ");
            require(keccak256(bytes(parent.unit)) == keccak256(bytes(first.unit)), "Units differ");
            total += parent.quantity;
            parent.quantity = 0;
            parent.status = Status.SoldOut;
        }
        bytes32 childId = newBatch(first.gtin, lot, total, first.unit, msg.sender);
        Batch storage child = batches[childId];
        child.origin = first.origin;
        child.timestamp = block.timestamp;
        child.parents = parentIds;
        emit BatchesMerged(childId, parentIds, lot, total);
        return childId;
    }

    function recordInspection(bytes32 batchId, bool passed, Residue[] memory residues, bytes memory reportCid)
        public
        onlyRole("LAB")
    {
        Batch storage b = batches[batchId];
        require(b.status != Status.None, "Batch does not exist");
        Inspection storage inspection = inspections[batchId].push();
        inspection.lab = msg.sender;
        inspection.passed = passed;
        inspection.reportCid = checkedCid(reportCid);
        inspection.timestamp = block.timestamp;
        for (uint256 i = 0; i < residues.length; i++) {
            if (passed) {
                require(residues[i].measured <= residues[i].limit, "Passed inspection has a residue over its limit");
            }
            inspection.residues.push(residues[i]);
        }
        if (!passed && b.status == Status.Active) {
            b.status = Status.Quarantined;
        }
        emit InspectionRecorded(batchId, msg.sender, passed);
    }

    function recordSale(bytes32 batchId, string memory saleId, uint256 quantity, uint256 price, string memory currency)
        public
        onlyRole("VENDOR")
    {
        Batch storage b = batches[batchId];
        require(b.status == Status.Active, "Batch is not active");
        require(b.custodian == msg.sender, "Caller is not the custodian");
        require(bytes(saleId).length > 0, "Sale id is required");
        require(sales[saleId].timestamp == 0, "Sale already recorded");
        require(quantity > 0, "Quantity must be positive");
        require(quantity <= b.quantity, "Insufficient quantity");
        require(isUpperAlnum(currency, 3), "Invalid currency code");
        b.quantity -= quantity;
        if (b.quantity == 0) {
            b.status = Status.SoldOut;
        }
        sales[saleId] = Sale(saleId, batchId, msg.sender, quantity, price, currency, block.timestamp);
        emit SaleRecorded(batchId, saleId, quantity, price, currency);
    }

    function recall(bytes32[] memory batchIds, string memory reason) public onlyRole("REGULATOR") {
        require(batchIds.length > 0, "At least one batch is required");
        require(bytes(reason).length > 0, "Reason is required");
        for (uint256 i = 0; i < batchIds.length; i++) {
            Batch storage b = batches[batchIds[i]];
            require(b.status != Status.None, "Batch does not exist");
            if (b.status == Status.Recalled) {
                continue;
            }
            b.status = Status.Recalled;
            recalls[batchIds[i]] = Recall(reason, msg.sender, block.timestamp);
            emit RecallIssued(batchIds[i], reason);
        }
    }

    function batchIdOf(uint256 gtin, string memory lot) public pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lot));
    }

    function newBatch(uint256 gtin, string memory lot, uint256 quantity, string memory unit, address custodian)
        internal
        returns (bytes32)
    {
        require(isValidGtin(gtin), "Invalid GTIN");
        require(bytes(lot).length > 0 && bytes(lot).length <= 20, "Lot must be 1 to 20 characters");
        require(bytes(unit).length > 0 && isUpperAlnum(unit, bytes(unit).length), "Invalid unit code");
        require(quantity > 0, "Quantity must be positive");
        bytes32 batchId = batchIdOf(gtin, lot);
        require(batches[batchId].status == Status.None, "Batch already exists");
        Batch storage b = batches[batchId];
        b.lot = lot;
        b.unit = unit;
        b.gtin = gtin;
        b.quantity = quantity;
        b.custodian = custodian;
        b.status = Status.Active;
        b.registeredBy = msg.sender;
        emit BatchRegistered(batchId, custodian, gtin, lot, quantity);
        return batchId;
    }

    function isValidGtin(uint256 gtin) internal pure returns (bool) {
        if (gtin == 0 || gtin >= 1e14) return false;
        uint256 rest = gtin / 10;
        uint256 sum = 0;
        uint256 weight = 3;
        while (rest != 0) {
            sum += (rest % 10) * weight;
            rest /= 10;
            weight = 4 - weight;
        }
        return (10 - (sum % 10)) % 10 == gtin % 10;
    }

    function isUpperAlnum(string memory text, uint256 length) internal pure returns (bool) {
        bytes memory raw = bytes(text);
        if (raw.length != length) return false;
        for (uint256 i = 0; i < raw.length; i++) {
            bytes1 c = raw[i];
            if (!((c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39))) return false;
        }
        return true;
    }

    function checkedCid(bytes memory cid) internal pure returns (bytes memory) {
        if (cid.length > 0) {
            bool v1 = cid[0] == 0x01 && cid.length > 3;
            bool v0 = cid.length == 34 && cid[0] == 0x12 && cid[1] == 0x20;
            require(v1 || v0, "Invalid document CID");
        }
        return cid;
    }
}
