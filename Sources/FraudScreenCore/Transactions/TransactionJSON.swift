import Foundation

/// Reading a transaction from its JSON object (docs/PROTOCOL.md), with strict validation: a bank must learn
/// exactly which field is wrong, and amounts are never floats.
public enum TransactionJSON {
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// `missing_field` or `bad_value`, as in the daemon's error codes.
        public var code: String
        /// The dotted path of the field (`payee.type`).
        public var field: String
        public var message: String
        public var description: String { field.isEmpty ? message : "\(field): \(message)" }

        package init(code: String, field: String, message: String) {
            self.code = code
            self.field = field
            self.message = message
        }
    }

    /// Longest value, in UTF-8 bytes, of a short member (accounts, names, bank, currency, channel, timestamp,
    /// amount): they are identifiers, not text, and a daemon must bound what it keeps per request. `memo` and
    /// `context` are text and bounded only by the line.
    public static let maxShortFieldBytes = 1_024

    /// What an `amount` of the wrong type is told, by the daemon and `check` alike.
    public static let amountTypeMessage = "must be a decimal string such as \"12500.00\""

    /// How much a transaction object must say.
    public enum Strictness: Sendable {
        /// As the daemon's protocol requires of a bank (docs/PROTOCOL.md): `memo` (`""` when there is none),
        /// `currency` and `payee` are required.
        case protocolRequest
        /// Rule examples and corpus lines may leave out `memo` (empty), `currency` (CNY) and `payee`.
        case shorthand
    }

    /// A transaction's members as read, before they are validated. Both readers fill one — JSONSerialization's
    /// objects here (the CLI, rule examples, the corpus), the daemon's streaming reader there — and
    /// `transaction(_:_:)` applies the one set of rules to it.
    public struct Fields: Sendable {
        public var memo: String?
        public var amount: String?
        /// The amount came as a JSON number, which is refused: money must not pass through binary floating point.
        public var amountIsNumber = false
        public var currency: String?
        public var payer: Transaction.Party?
        public var payee: Transaction.Party?
        public var channel: String?
        public var firstTimePayee: Bool?
        public var timestamp: String?
        public var context: String?

        public init() {}
    }

    /// Validates `fields` into a transaction; the first problem, in the order the daemon always reported them.
    public static func transaction(_ fields: Fields, _ strictness: Strictness) throws(Invalid) -> Transaction {
        func missing(_ field: String, _ hint: String = "") -> Invalid {
            Invalid(code: "missing_field", field: field, message: "required" + hint)
        }
        func bad(_ field: String, _ message: String) -> Invalid { Invalid(code: "bad_value", field: field, message: message) }
        let strict = strictness == .protocolRequest
        if fields.amountIsNumber { throw bad("amount", amountTypeMessage + ", not a JSON number") }
        guard let memo = fields.memo ?? (strict ? nil : "") else { throw missing("memo", " (use \"\" when there is none)") }
        guard let amountText = fields.amount else { throw missing("amount") }
        guard let amount = DecimalAmount(amountText) else { throw bad("amount", "'\(amountText)' is not \(DecimalAmount.grammar)") }
        guard let currency = fields.currency ?? (strict ? nil : "CNY") else { throw missing("currency") }
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw bad("currency", "'\(currency)' is not an ISO 4217 code (three capital letters)")
        }
        guard let payee = fields.payee ?? (strict ? nil : Transaction.Party()) else { throw missing("payee") }
        guard let timestampText = fields.timestamp else { throw missing("timestamp") }
        guard let timestamp = Timestamp(timestampText) else {
            throw bad("timestamp", "'\(timestampText)' is not ISO 8601 with a UTC offset (2026-11-29T02:13:00+08:00)")
        }
        return Transaction(memo: memo, amount: amount, currency: currency, payer: fields.payer ?? Transaction.Party(), payee: payee,
                           channel: fields.channel, timestamp: timestamp, firstTimePayee: fields.firstTimePayee, context: fields.context)
    }

    /// Parses a transaction object already decoded by JSONSerialization: members of the wrong type are refused
    /// here, then `transaction(_:_:)` validates.
    public static func transaction(from object: [String: Any], _ strictness: Strictness = .shorthand) throws(Invalid) -> Transaction {
        func bad(_ field: String, _ message: String) -> Invalid { Invalid(code: "bad_value", field: field, message: message) }
        func string(_ object: [String: Any], _ key: String, path: String, max: Int = maxShortFieldBytes) throws(Invalid) -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let text = value as? String else { throw bad(path, "must be a string") }
            guard text.utf8.count <= max else { throw bad(path, "longer than \(max) bytes") }
            return text
        }
        func party(_ key: String) throws(Invalid) -> Transaction.Party? {
            // `null` reads as absent, for objects as for strings: serialisers that write out every member
            // (common in Java and Go) send `"payer": null` for a payment without one.
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let party = value as? [String: Any] else { throw bad(key, "must be an object") }
            var result = Transaction.Party()
            result.account = try string(party, "account", path: "\(key).account")
            result.name = try string(party, "name", path: "\(key).name")
            result.bank = try string(party, "bank", path: "\(key).bank")
            if let type = try string(party, "type", path: "\(key).type") {
                guard let parsed = Transaction.AccountType(rawValue: type) else { throw bad("\(key).type", "must be personal or corporate") }
                result.type = parsed
            }
            return result
        }
        var fields = Fields()
        fields.memo = try string(object, "memo", path: "memo", max: .max)
        if let amount = object["amount"], !(amount is NSNull) {
            if amount is String {
                fields.amount = try string(object, "amount", path: "amount")
            } else if let number = amount as? NSNumber, !isBoolean(number) {
                fields.amountIsNumber = true
            } else {
                throw bad("amount", amountTypeMessage)
            }
        }
        fields.currency = try string(object, "currency", path: "currency")
        fields.payer = try party("payer")
        fields.payee = try party("payee")
        fields.channel = try string(object, "channel", path: "channel")
        fields.timestamp = try string(object, "timestamp", path: "timestamp")
        fields.context = try string(object, "context", path: "context", max: .max)
        if let value = object["first_time_payee"], !(value is NSNull) {
            guard let number = value as? NSNumber, isBoolean(number), let flag = value as? Bool else {
                throw bad("first_time_payee", "must be true or false")
            }
            fields.firstTimePayee = flag
        }
        return try transaction(fields, strictness)
    }

    /// JSONSerialization hands out NSNumber for both booleans and numbers; a boolean's type code is `c`.
    private static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    /// Parses a transaction from JSON bytes: the transaction object itself, or a request or corpus line that
    /// carries one under `transaction` (whose problems are then named `transaction.…`, as the daemon names
    /// them). Read as the daemon reads a request (`ProtocolMemberReader`): a member given twice is refused,
    /// and malformed JSON is told with its byte offset.
    public static func transaction(from data: Data, _ strictness: Strictness = .shorthand) throws(Invalid) -> Transaction {
        let result = data.withUnsafeBytes { bytes -> Result<Transaction, Invalid> in
            var reader = JSONReader(bytes)
            var outer = ProtocolMemberReader(), inner = ProtocolMemberReader()
            var fields = Fields()
            var nested: Transaction?
            do throws(JSONReader.SyntaxError) {
                guard try reader.peekKind() == .object else {
                    // `null`, a string or a number is valid JSON but no transaction: said as the daemon says it.
                    try reader.skipValue()
                    try reader.finish()
                    return .failure(Invalid(code: "bad_value", field: "transaction", message: "must be an object"))
                }
                try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
                    switch key {
                    case "transaction": nested = try inner.transaction(&reader, path: "transaction", strictness)
                    default: try outer.transactionMember(key, &reader, into: &fields, prefix: "")
                    }
                }
                try reader.finish()
            } catch {
                return .failure(Invalid(code: "invalid_json", field: "", message: "\(error.message) at byte \(error.offset)"))
            }
            // A line that carries a transaction (not `null`) is judged by it alone; its other members are the
            // line's own.
            if let nested { return .success(nested) }
            if let problem = inner.firstProblem { return .failure(problem) }
            if let problem = outer.firstProblem { return .failure(problem) }
            return outer.validated(fields, strictness, prefix: "").map { .success($0) } ?? .failure(outer.firstProblem!)
        }
        return try result.get()
    }
}
