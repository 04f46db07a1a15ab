// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Checks on GS1 and ISO codes that are cheap enough to run on-chain, so that no client
 * (API, brownie script, a participant's own wallet) can record a malformed key data element.
 * The edge (API) checks the same and more (e.g. that a country code is assigned).
 */
library Gs1 {
    /// @dev GTINs are stored as GTIN-14 numbers: at most 14 digits.
    uint64 internal constant GTIN_LIMIT = 1e14;

    /// @dev GS1 AI (10) batch/lot numbers are at most 20 characters.
    uint256 internal constant MAX_LOT_LENGTH = 20;

    /**
     * @dev Whether `gtin` is a GTIN-14 (GTIN-8/12/13 left-padded with zeros) with a correct
     * mod-10 check digit: weights 3 and 1 alternate from the digit left of the check digit.
     */
    function isValidGtin(uint64 gtin) internal pure returns (bool) {
        if (gtin == 0 || gtin >= GTIN_LIMIT) return false;
        uint256 rest = gtin / 10;
        uint256 sum;
        // Two digits a round: the right one weighs 3, the left one 1.
        // unchecked: at most 13 digits, each times at most 3, cannot overflow a uint256.
        unchecked {
            while (rest != 0) {
                uint256 pair = rest % 100;
                sum += (pair % 10) * 3 + pair / 10;
                rest /= 100;
            }
        }
        return (10 - (sum % 10)) % 10 == gtin % 10;
    }

    /// @dev Whether `lot` is a usable GS1 batch/lot number length (1 to 20 bytes).
    function isValidLot(string calldata lot) internal pure returns (bool) {
        uint256 length = bytes(lot).length;
        return length != 0 && length <= MAX_LOT_LENGTH;
    }

    /// @dev Whether every byte of `code` is an upper-case ASCII letter or digit (UN/ECE Rec 20
    /// unit codes such as "KGM" and "H87", ISO 4217 currencies such as "CNY").
    /// `length` is at most 32.
    function isUpperAlnum(bytes32 code, uint256 length) internal pure returns (bool) {
        // unchecked: i < length <= 32 keeps the shift in 0..248; c - 0x30 and c - 0x41
        // wrap to huge values below '0' and 'A', which the comparisons refuse.
        unchecked {
            for (uint256 i; i < length; ++i) {
                uint256 c = uint256(code >> (248 - 8 * i)) & 0xff;
                if (c - 0x30 >= 10 && c - 0x41 >= 26) return false;
            }
        }
        return true;
    }

    /// @dev Whether `country` looks like an ISO 3166-1 alpha-2 code (two upper-case letters).
    function isCountryCode(bytes2 country) internal pure returns (bool) {
        return _isUpperLetter(country[0]) && _isUpperLetter(country[1]);
    }

    /**
     * @dev Whether `hsCode` is a Harmonized System code: 6 to 10 ASCII digits, left-aligned,
     * the rest zero bytes (6 digits are the WCO's subheading, 8 or 10 a national tariff line).
     */
    function isHsCode(bytes10 hsCode) internal pure returns (bool) {
        uint256 digits;
        while (digits < 10) {
            bytes1 c = hsCode[digits];
            if (c < 0x30 || c > 0x39) break;
            // unchecked: digits < 10 in the loop.
            unchecked {
                ++digits;
            }
        }
        // The bytes after the digits must all be zero: shifted out, nothing is left.
        return digits >= 6 && hsCode << (8 * digits) == bytes10(0);
    }

    /**
     * @dev Whether `cid` is empty (no document) or a binary CID: CIDv1 starts with 0x01,
     * CIDv0 is a 34-byte sha2-256 multihash (0x12 0x20 ...).
     */
    function isDocumentCid(bytes calldata cid) internal pure returns (bool) {
        if (cid.length == 0) return true;
        if (cid[0] == 0x01) return cid.length > 3;
        return cid.length == 34 && cid[0] == 0x12 && cid[1] == 0x20;
    }

    function _isUpperLetter(bytes1 c) private pure returns (bool) {
        return c >= 0x41 && c <= 0x5A;
    }
}
