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
        // Decided first, described after: most document rules fail on some condition, and the evidence of the
        // conditions before it (strings, an array) was built for nothing.
        guard holds(for: transaction, recentFirstTimeTransfers: recentFirstTimeTransfers, localOffsetMinutes: localOffsetMinutes) else {
            return nil
        }
        var evidence: [Verdict.Evidence] = []
        func note(_ field: String, _ value: String) {
            evidence.append(Verdict.Evidence(field: field, span: TextSpan(start: 0, end: value.unicodeScalars.count), text: value,
                                             source: .transaction, evasive: false))
        }
        if minimumAmount != nil || maximumAmount != nil { note("amount", transaction.amount.text) }
        if let firstTimePayee { note("first_time_payee", String(firstTimePayee)) }
        if let payeeType { note("payee.type", payeeType.rawValue) }
        if channels != nil, let channel = transaction.channel { note("channel", channel) }
        if localTime != nil { note("timestamp", transaction.timestamp.text) }
        if minimumRecentFirstTimeTransfers != nil { note("velocity", "\(recentFirstTimeTransfers) transfers to first-time payees") }
        return evidence
    }

    private func holds(for transaction: Transaction, recentFirstTimeTransfers: Int, localOffsetMinutes: Int) -> Bool {
        if minimumAmount != nil || maximumAmount != nil {
            guard transaction.isInYuan else { return false }
            let yuan = transaction.amount.yuan
            if let minimumAmount, yuan < minimumAmount { return false }
            if let maximumAmount, yuan > maximumAmount { return false }
        }
        if let firstTimePayee, transaction.firstTimePayee != firstTimePayee { return false }
        if let payeeType, transaction.payee.type != payeeType { return false }
        if let channels {
            guard let channel = transaction.channel, channels.contains(channel) else { return false }
        }
        if let (from, to) = localTime {
            let minute = transaction.timestamp.minuteOfDay(atOffset: localOffsetMinutes)
            guard from <= to ? (from <= minute && minute < to) : (minute >= from || minute < to) else { return false }
        }
        if let minimumRecentFirstTimeTransfers, recentFirstTimeTransfers < minimumRecentFirstTimeTransfers { return false }
        return true
    }
}
