import FraudScreenCore

/// A payment to screen (`"transaction": {...}` in a request), validated.
///
/// `document` hands it to the engine whole (`engineTransaction`): the memo, payee name and context are
/// screened as text and the typed fields feed the rules' transaction conditions and payee list look-ups.
public struct Transaction: Sendable, Equatable {
    /// One side of the payment.
    public struct Party: Sendable, Equatable {
        public var account: String?
        public var name: String?
        public var bank: String?
        /// `personal` or `corporate`, when the bank knows.
        public var type: FraudScreenCore.Transaction.AccountType?

        public init(account: String? = nil, name: String? = nil, bank: String? = nil,
                    type: FraudScreenCore.Transaction.AccountType? = nil) {
            self.account = account
            self.name = name
            self.bank = bank
            self.type = type
        }
    }

    /// A non-negative decimal amount, sent as a string (`"12500.00"`) so no binary floating point ever
    /// touches money.
    public struct Amount: Sendable, Equatable, CustomStringConvertible {
        /// The amount as sent.
        public var text: String
        /// The amount in units of 10^-scale (`"12500.00"` → 1250000, scale 2).
        public var scaledValue: Int64
        /// Digits after the decimal point.
        public var scale: Int

        /// The engine's grammar (`DecimalAmount`): at most 15 integer digits, 2 decimals, no leading zeros;
        /// every such value is exact in an `Int64`.
        public init?(parsing text: String) {
            guard let parsed = DecimalAmount(text) else { return nil }
            let fraction = text.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
            self.text = text
            self.scale = fraction
            self.scaledValue = fraction == 2 ? parsed.cents : fraction == 1 ? parsed.cents / 10 : parsed.cents / 100
        }

        /// The value in yuan (or the currency's main unit); for thresholds, not for arithmetic on money.
        public var doubleValue: Double {
            var divisor = 1.0
            for _ in 0..<scale { divisor *= 10 }
            return Double(scaledValue) / divisor
        }

        public var description: String { text }
    }

    /// An ISO 8601 instant with an explicit UTC offset (`2026-11-29T02:13:00+08:00`); a time without an
    /// offset is ambiguous and refused.
    public struct Timestamp: Sendable, Equatable, CustomStringConvertible {
        public var text: String
        /// Seconds since 1970-01-01T00:00:00Z.
        public var secondsSince1970: Int64
        /// The sender's UTC offset in seconds (time-of-day rules want the local hour).
        public var utcOffsetSeconds: Int

        /// Parsed by the engine's `Timestamp`, so the daemon and rules read instants identically.
        public init?(parsing text: String) {
            guard let parsed = FraudScreenCore.Timestamp(text) else { return nil }
            self.text = text
            self.secondsSince1970 = parsed.epochSeconds
            self.utcOffsetSeconds = parsed.offsetMinutes * 60
        }

        /// The hour (0–23) in the sender's own time zone.
        public var localHour: Int {
            let local = secondsSince1970 + Int64(utcOffsetSeconds)
            return Int(((local % 86_400) + 86_400) % 86_400 / 3600)
        }

        public var description: String { text }
    }

    /// The payment remark, screened as the field `memo`.
    public var memo: String
    public var amount: Amount
    /// ISO 4217 code, three capital letters.
    public var currency: String
    public var payer: Party?
    public var payee: Party
    /// How the payment was made, for example `mobile`, `counter`, `atm` (free text).
    public var channel: String?
    /// Whether the payer has never paid this payee before.
    public var firstTimePayee: Bool?
    public var timestamp: Timestamp
    /// Free text the bank adds (the purpose the customer gave the teller, a call note); screened as `context`.
    public var context: String?

    public init(memo: String, amount: Amount, currency: String, payer: Party?, payee: Party, channel: String?,
                firstTimePayee: Bool?, timestamp: Timestamp, context: String?) {
        self.memo = memo
        self.amount = amount
        self.currency = currency
        self.payer = payer
        self.payee = payee
        self.channel = channel
        self.firstTimePayee = firstTimePayee
        self.timestamp = timestamp
        self.context = context
    }

    /// What the engine screens: the whole transaction (text fields `memo`, `payee_name`, `context` plus the
    /// typed fields for transaction conditions).
    public var document: Document {
        if let engineTransaction { return Document(transaction: engineTransaction) }
        var fields = [Document.Field(name: "memo", text: memo)]
        if let name = payee.name, !name.isEmpty { fields.append(.init(name: "payee_name", text: name)) }
        if let context, !context.isEmpty { fields.append(.init(name: "context", text: context)) }
        return Document(fields: fields)
    }
}
