/// Reads an object's members by the protocol's typing rules (docs/PROTOCOL.md), straight from a `JSONReader`:
/// `null` reads as absent, a member of the wrong type or longer than allowed is `bad_value`. The first problem
/// is kept and reading goes on, so that the daemon still reads a request's `id` after a bad member and echoes
/// it. The daemon decodes its requests with it and `fraudscreen check --transaction` its input, so both say
/// the same about the same bytes.
package struct ProtocolMemberReader {
    /// The first problem met, in the order of the text (`missing_field` or `bad_value`).
    package private(set) var firstProblem: TransactionJSON.Invalid?
    private var problemCount = 0

    package init() {}

    /// Keeps `problem` if it is the first.
    package mutating func record(_ problem: TransactionJSON.Invalid) {
        if firstProblem == nil { firstProblem = problem }
        problemCount += 1
    }

    private mutating func bad(_ path: String, _ message: String) {
        record(TransactionJSON.Invalid(code: "bad_value", field: path, message: message))
    }

    /// A string member, or nil (with `bad_value` recorded) when it has another type or more than `max` bytes.
    package mutating func string(_ reader: inout JSONReader, _ path: String,
                                 max: Int = TransactionJSON.maxShortFieldBytes) throws(JSONReader.SyntaxError) -> String? {
        switch try reader.peekKind() {
        case .string:
            let value = try reader.readString()
            if value.utf8.count > max {
                bad(path, "longer than \(max) bytes")
                return nil
            }
            return value
        case .null:
            try reader.skipValue()
            return nil
        default:
            try reader.skipValue()
            bad(path, "must be a string")
            return nil
        }
    }

    package mutating func bool(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Bool? {
        switch try reader.peekKind() {
        case .bool: return try reader.readBool()
        case .null: try reader.skipValue(); return nil
        default:
            try reader.skipValue()
            bad(path, "must be true or false")
            return nil
        }
    }

    /// Whether the next value is an object; skips it otherwise, recording `bad_value` unless it is `null`, which
    /// reads as absent for objects as it does for strings (serialisers that write every member send
    /// `"payer": null`).
    package mutating func expectObject(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Bool {
        let kind = try reader.peekKind()
        if kind == .object { return true }
        try reader.skipValue()
        if kind != .null { bad(path, "must be an object") }
        return false
    }

    /// Reads member `key` of a transaction object into `fields`, with problems named `prefix` + the member's
    /// path (`transaction.` in a request); members a transaction does not have are skipped.
    package mutating func transactionMember(_ key: JSONReader.Key, _ reader: inout JSONReader, into fields: inout TransactionJSON.Fields,
                                            prefix: String) throws(JSONReader.SyntaxError) {
        switch key {
        case "memo": fields.memo = try string(&reader, prefix + "memo", max: .max)
        case "amount":
            switch try reader.peekKind() {
            case .number:
                _ = try reader.readNumberBytes()
                fields.amountIsNumber = true
            case .string, .null:
                fields.amount = try string(&reader, prefix + "amount")
            default:
                try reader.skipValue()
                bad(prefix + "amount", TransactionJSON.amountTypeMessage)
            }
        case "currency": fields.currency = try string(&reader, prefix + "currency")
        case "payer": fields.payer = try party(&reader, prefix + "payer")
        case "payee": fields.payee = try party(&reader, prefix + "payee")
        case "channel": fields.channel = try string(&reader, prefix + "channel")
        case "first_time_payee": fields.firstTimePayee = try bool(&reader, prefix + "first_time_payee")
        case "timestamp": fields.timestamp = try string(&reader, prefix + "timestamp")
        case "context": fields.context = try string(&reader, prefix + "context", max: .max)
        default: try reader.skipValue()
        }
    }

    private mutating func party(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Transaction.Party? {
        guard try expectObject(&reader, path) else { return nil }
        var party = Transaction.Party()
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            switch key {
            case "account": party.account = try string(&reader, path + ".account")
            case "name": party.name = try string(&reader, path + ".name")
            case "bank": party.bank = try string(&reader, path + ".bank")
            case "type":
                if let type = try string(&reader, path + ".type") {
                    if let parsed = Transaction.AccountType(rawValue: type) { party.type = parsed } else { bad(path + ".type", "must be personal or corporate") }
                }
            default: try reader.skipValue()
            }
        }
        return party
    }

    /// Reads the transaction object at the cursor and validates it (`TransactionJSON.transaction(_:_:)`); nil,
    /// with the problem recorded, when it is not an object, has a member of the wrong type, or is not a valid
    /// transaction.
    package mutating func transaction(_ reader: inout JSONReader, path: String,
                                      _ strictness: TransactionJSON.Strictness) throws(JSONReader.SyntaxError) -> Transaction? {
        guard try expectObject(&reader, path) else { return nil }
        var fields = TransactionJSON.Fields()
        let prefix = path + ".", problemsBefore = problemCount
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            try transactionMember(key, &reader, into: &fields, prefix: prefix)
        }
        // A member refused on the way (a name too long) was left out of `fields`: no transaction without it.
        guard problemCount == problemsBefore else { return nil }
        return validated(fields, strictness, prefix: prefix)
    }

    /// `fields` validated, or nil with the problem recorded (named `prefix` + the field).
    package mutating func validated(_ fields: TransactionJSON.Fields, _ strictness: TransactionJSON.Strictness, prefix: String) -> Transaction? {
        do {
            return try TransactionJSON.transaction(fields, strictness)
        } catch {
            record(TransactionJSON.Invalid(code: error.code, field: prefix + error.field, message: error.message))
            return nil
        }
    }
}
