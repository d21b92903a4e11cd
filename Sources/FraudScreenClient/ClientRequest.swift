import FraudScreenCore

/// A request to the daemon (docs/PROTOCOL.md), encoded as one JSON line.
public enum ClientRequest: Sendable {
    /// Screen a message; `listingEntities` asks the verdict to list every entity found.
    case screen(text: String, channel: String? = nil, sender: String? = nil, listingEntities: Bool = false)
    /// Screen a payment; amounts are decimal strings.
    case screenTransaction(TransactionRequest, listingEntities: Bool = false)
    /// Screen and durably store a reported message; `channel` and `sender` are stored with it.
    case report(text: String, channel: String? = nil, sender: String? = nil, reporter: String, label: String, category: String? = nil,
                listingEntities: Bool = false)
    case ping
    case stats
    /// Reload the rule set (admin only).
    case reload

    /// The JSON line for this request (without the newline), with `id`.
    public func line(id: String) -> [UInt8] {
        var json = JSONWriter(reservingCapacity: 256)
        json.beginObject()
        json.member("id", id)
        switch self {
        case .screen(let text, let channel, let sender, let listingEntities):
            json.member("op", "screen")
            json.object("message") { message in
                message.member("text", text)
                message.member("channel", channel)
                message.member("sender", sender)
            }
            if listingEntities { json.member("entities", true) }
        case .screenTransaction(let transaction, let listingEntities):
            json.member("op", "screen")
            json.object("transaction") { transaction.write(to: &$0) }
            if listingEntities { json.member("entities", true) }
        case .report(let text, let channel, let sender, let reporter, let label, let category, let listingEntities):
            json.member("op", "report")
            json.object("message") { message in
                message.member("text", text)
                message.member("channel", channel)
                message.member("sender", sender)
            }
            json.member("reporter", reporter)
            json.member("label", label)
            json.member("category", category)
            if listingEntities { json.member("entities", true) }
        case .ping: json.member("op", "ping")
        case .stats: json.member("op", "stats")
        case .reload: json.member("op", "reload")
        }
        json.endObject()
        return json.bytes
    }
}

/// A transaction to screen; `amount` is a decimal string ("12500.00"), `timestamp` ISO 8601 with offset.
public struct TransactionRequest: Sendable {
    public var memo: String
    public var amount: String
    public var currency: String
    public var payeeAccount: String?
    public var payeeName: String?
    public var payeeBank: String?
    /// `personal` or `corporate`: rules test it (`payee_type`).
    public var payeeType: String?
    public var payerAccount: String?
    public var payerName: String?
    public var channel: String?
    public var firstTimePayee: Bool?
    public var timestamp: String
    public var context: String?

    public init(memo: String, amount: String, currency: String = "CNY", payeeAccount: String? = nil, payeeName: String? = nil,
                payeeBank: String? = nil, payeeType: String? = nil, payerAccount: String? = nil, payerName: String? = nil,
                channel: String? = nil, firstTimePayee: Bool? = nil, timestamp: String, context: String? = nil) {
        self.memo = memo
        self.amount = amount
        self.currency = currency
        self.payeeAccount = payeeAccount
        self.payeeName = payeeName
        self.payeeBank = payeeBank
        self.payeeType = payeeType
        self.payerAccount = payerAccount
        self.payerName = payerName
        self.channel = channel
        self.firstTimePayee = firstTimePayee
        self.timestamp = timestamp
        self.context = context
    }

    /// The request for an engine transaction (read from a file or a corpus line).
    public init(_ transaction: FraudScreenCore.Transaction) {
        self.init(memo: transaction.memo, amount: transaction.amount.text, currency: transaction.currency,
                  payeeAccount: transaction.payee.account, payeeName: transaction.payee.name, payeeBank: transaction.payee.bank,
                  payeeType: transaction.payee.type?.rawValue, payerAccount: transaction.payer.account, payerName: transaction.payer.name,
                  channel: transaction.channel, firstTimePayee: transaction.firstTimePayee, timestamp: transaction.timestamp.text,
                  context: transaction.context)
    }

    func write(to json: inout JSONWriter) {
        json.member("memo", memo)
        json.member("amount", amount)
        json.member("currency", currency)
        if payerAccount != nil || payerName != nil {
            json.object("payer") { $0.member("account", payerAccount); $0.member("name", payerName) }
        }
        json.object("payee") { payee in
            payee.member("account", payeeAccount)
            payee.member("name", payeeName)
            payee.member("bank", payeeBank)
            payee.member("type", payeeType)
        }
        json.member("channel", channel)
        if let firstTimePayee { json.member("first_time_payee", firstTimePayee) }
        json.member("timestamp", timestamp)
        json.member("context", context)
    }
}

/// Requests are written with the engine's `JSONWriter` (one escaping routine for the whole project); these
/// helpers leave nil members out, as the protocol treats an absent member and `null` alike.
extension JSONWriter {
    mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        field(name, value)
    }

    mutating func member(_ name: String, _ value: Bool) { field(name, value) }

    mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
        beginObject(key: name)
        body(&self)
        endObject()
    }
}
