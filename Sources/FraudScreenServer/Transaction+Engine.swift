import FraudScreenCore

extension Transaction {
    /// The engine's model of this transaction (`FraudScreenCore.Transaction`), for transaction rule
    /// conditions and velocity checks. The protocol validates at least as strictly as the engine's parsers
    /// (amounts: up to 15 digits and 2 decimals, no leading zeros; timestamps: ISO 8601 with a zone), so
    /// every decoded transaction converts; nil would mean the two disagree.
    public var engineTransaction: FraudScreenCore.Transaction? {
        guard let amount = DecimalAmount(amount.text), let timestamp = FraudScreenCore.Timestamp(timestamp.text) else { return nil }
        func party(_ party: Party?) -> FraudScreenCore.Transaction.Party {
            FraudScreenCore.Transaction.Party(account: party?.account, name: party?.name, bank: party?.bank, type: party?.type)
        }
        return FraudScreenCore.Transaction(memo: memo, amount: amount, currency: currency, payer: party(payer), payee: party(payee),
                                           channel: channel, timestamp: timestamp, firstTimePayee: firstTimePayee, context: context)
    }
}
