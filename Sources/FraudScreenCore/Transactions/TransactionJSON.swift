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
    }

    /// How much a transaction object must say.
    public enum Strictness: Sendable {
        /// As the daemon's protocol requires of a bank (docs/PROTOCOL.md): `memo` (`""` when there is none),
        /// `currency` and `payee` are required.
        case protocolRequest
        /// Rule examples and corpus lines may leave out `memo` (empty), `currency` (CNY) and `payee`.
        case shorthand
    }

    /// Parses a transaction object already decoded by JSONSerialization.
    public static func transaction(from object: [String: Any], _ strictness: Strictness = .shorthand) throws(Invalid) -> Transaction {
        func missing(_ field: String) -> Invalid { Invalid(code: "missing_field", field: field, message: "required") }
        func bad(_ field: String, _ message: String) -> Invalid { Invalid(code: "bad_value", field: field, message: message) }
        func string(_ object: [String: Any], _ key: String, path: String, required: Bool = false) throws(Invalid) -> String? {
            guard let value = object[key], !(value is NSNull) else {
                if required { throw missing(path) }
                return nil
            }
            guard let text = value as? String else { throw bad(path, "must be a string") }
            return text
        }
        func party(_ key: String) throws(Invalid) -> Transaction.Party {
            guard let value = object[key], !(value is NSNull) else { return Transaction.Party() }
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

        let strict = strictness == .protocolRequest
        guard let memo = try string(object, "memo", path: "memo", required: strict) ?? (strict ? nil : "") else { throw missing("memo") }
        if strict, object["payee"] == nil || object["payee"] is NSNull { throw missing("payee") }
        guard let amountValue = object["amount"], !(amountValue is NSNull) else { throw missing("amount") }
        guard let amountText = amountValue as? String else {
            throw bad("amount", "must be a decimal string such as \"12500.00\" (never a JSON number)")
        }
        guard let amount = DecimalAmount(amountText) else { throw bad("amount", "\"\(amountText)\" is not \(DecimalAmount.grammar)") }
        guard let currency = try string(object, "currency", path: "currency", required: strict) ?? (strict ? nil : "CNY") else { throw missing("currency") }
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw bad("currency", "must be an ISO 4217 code such as CNY")
        }
        guard let timestampText = try string(object, "timestamp", path: "timestamp", required: true) else { throw missing("timestamp") }
        guard let timestamp = Timestamp(timestampText) else {
            throw bad("timestamp", "\"\(timestampText)\" is not an ISO 8601 date-time with a zone (2026-11-29T02:13:00+08:00)")
        }
        var firstTime: Bool?
        if let value = object["first_time_payee"], !(value is NSNull) {
            // JSONSerialization hands out NSNumber for both booleans and numbers; only a real boolean counts.
            guard let number = value as? NSNumber, String(cString: number.objCType) == "c", let flag = value as? Bool else {
                throw bad("first_time_payee", "must be true or false")
            }
            firstTime = flag
        }
        return Transaction(memo: memo, amount: amount, currency: currency, payer: try party("payer"), payee: try party("payee"),
                           channel: try string(object, "channel", path: "channel"), timestamp: timestamp,
                           firstTimePayee: firstTime, context: try string(object, "context", path: "context"))
    }

    /// Parses a transaction from JSON bytes: the transaction object itself, or a request or corpus line that
    /// carries one under `transaction`.
    public static func transaction(from data: Data, _ strictness: Strictness = .shorthand) throws(Invalid) -> Transaction {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw Invalid(code: "invalid_json", field: "", message: "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw Invalid(code: "invalid_json", field: "", message: "not a JSON object") }
        if let inner = object["transaction"] as? [String: Any] { return try transaction(from: inner, strictness) }
        return try transaction(from: object, strictness)
    }
}
