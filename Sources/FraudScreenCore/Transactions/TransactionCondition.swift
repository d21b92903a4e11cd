/// What a rule's `transaction:` block asks of a transaction: money, payee, channel, local time of day and the
/// payer's recent behaviour. Every stated condition must hold; a document without a transaction never
/// satisfies one.
public struct TransactionCondition: Sendable {
    public var minimumAmount: Double?
    public var maximumAmount: Double?
    public var firstTimePayee: Bool?
    public var payeeType: Transaction.AccountType?
    public var channels: Set<String>?
    /// Minutes after local midnight, half-open; wraps past midnight when `from > to` (23:00–05:00).
    public var localTime: (from: Int, to: Int)?
    /// At least this many transfers to first-time payees by the same payer within the velocity window,
    /// this one included (needs a `VelocityTracker`; per-daemon state).
    public var minimumRecentFirstTimeTransfers: Int?

    public init() {}

    /// The evidence when every condition holds, nil otherwise.
    func evaluate(_ transaction: Transaction, recentFirstTimeTransfers: Int, localOffsetMinutes: Int) -> [Verdict.Evidence]? {
        var evidence: [Verdict.Evidence] = []
        func note(_ field: String, _ value: String) {
            evidence.append(Verdict.Evidence(field: field, span: TextSpan(start: 0, end: value.unicodeScalars.count), text: value,
                                             source: .transaction, evasive: false))
        }
        if minimumAmount != nil || maximumAmount != nil {
            let yuan = transaction.amount.yuan
            if let minimumAmount, yuan < minimumAmount { return nil }
            if let maximumAmount, yuan > maximumAmount { return nil }
            note("amount", transaction.amount.description)
        }
        if let firstTimePayee {
            guard transaction.firstTimePayee == firstTimePayee else { return nil }
            note("first_time_payee", String(firstTimePayee))
        }
        if let payeeType {
            guard transaction.payee.type == payeeType else { return nil }
            note("payee.type", payeeType.rawValue)
        }
        if let channels {
            guard let channel = transaction.channel, channels.contains(channel) else { return nil }
            note("channel", channel)
        }
        if let (from, to) = localTime {
            let minute = transaction.timestamp.minuteOfDay(atOffset: localOffsetMinutes)
            let inside = from <= to ? (from <= minute && minute < to) : (minute >= from || minute < to)
            guard inside else { return nil }
            note("timestamp", transaction.timestamp.text)
        }
        if let minimumRecentFirstTimeTransfers {
            guard recentFirstTimeTransfers >= minimumRecentFirstTimeTransfers else { return nil }
            note("velocity", "\(recentFirstTimeTransfers) transfers to first-time payees")
        }
        return evidence
    }
}
