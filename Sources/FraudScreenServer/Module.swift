// The daemon side of FraudScreen; see docs/PROTOCOL.md.
