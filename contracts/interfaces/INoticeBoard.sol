// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev The market's notice board and floor plan. A notice's text (title and body in up to
 * three languages) and the floor plan are documents in the document store; the chain records
 * who published which document, so that a notice on a screen can be checked against it.
 * Nothing is stored: the indexer keeps the notices and the latest plan.
 */
interface INoticeBoard {
    /**
     * @dev Emitted when `author` (a regulator or the market authority) publishes the notice
     * whose text is document `cid`, shown from `validFrom` until `validUntil` (Unix seconds,
     * exclusive). `batchId` (zero: none) and `stall` (zero: none) name what it concerns.
     */
    event NoticePublished(
        address indexed author,
        bytes32 indexed batchId,
        address indexed stall,
        bytes cid,
        uint64 validFrom,
        uint64 validUntil
    );

    /// @dev Emitted when the market authority sets the floor plan to document `cid`.
    event LayoutPublished(address indexed authority, bytes cid);

    /**
     * @dev A notice's window is empty or already over.
     * @param validFrom The window's start. @param validUntil The window's end (exclusive).
     */
    error NoticeWindowInvalid(uint64 validFrom, uint64 validUntil);

    /**
     * @dev The caller is neither an active regulator nor the market authority.
     * @param account The caller.
     */
    error NoticeAuthorUnauthorized(address account);

    /**
     * @dev Publish a notice.
     *
     * Requirements:
     * - the caller is an active regulator or the market authority;
     * - `cid` is a document CID;
     * - `validFrom < validUntil` and `validUntil` lies in the future.
     *
     * Emits a {NoticePublished} event.
     */
    function publishNotice(bytes calldata cid, uint64 validFrom, uint64 validUntil, bytes32 batchId, address stall)
        external;

    /**
     * @dev Set the market's floor plan.
     *
     * Requirements:
     * - the caller is the market authority;
     * - `cid` is a document CID.
     *
     * Emits a {LayoutPublished} event.
     */
    function publishLayout(bytes calldata cid) external;
}
