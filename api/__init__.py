"""FreshLedger's HTTP API: writes for the market's participants, reads for everyone, the
GS1 Digital Link resolver behind every sale's QR code, and the shopper's page."""
