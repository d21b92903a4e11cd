import FraudScreenCore
/// Turns one request line into a `Request`, or a `ProtocolError` with the stable code the protocol
/// promises (docs/PROTOCOL.md). Unknown members are ignored so clients may send more than this version
/// reads; known members with the wrong type are `bad_value`, absent required ones `missing_field`.
struct RequestDecoder {
    /// Longest accepted `id` (bytes of its JSON text): ids are echoed into every answer.
    static let maxIDBytes = 256
    /// Longest accepted short string member (reporter, category, channel, sender, accounts, names…).
    static let maxShortString = TransactionJSON.maxShortFieldBytes

    /// Decodes `line` (without its newline). The id is returned even when decoding fails, whenever it could
    /// be read, so the error answer can echo it.
    ///
    /// The reader checks strings as it makes them, so a line that parses is valid UTF-8; only a line that does
    /// not is scanned for an invalid byte, which then takes precedence over the syntax error it caused.
    func decode(_ line: UnsafeRawBufferPointer) -> (id: [UInt8]?, result: Result<Request, ProtocolError>) {
        var state = DecodingState()
        func invalidUTF8() -> (id: [UInt8]?, result: Result<Request, ProtocolError>)? {
            guard let bad = UTF8Validation.firstInvalidOffset(line) else { return nil }
            // An id read before the bad byte is echoed like any other error's (it is valid UTF-8 itself:
            // every byte of it comes before the first invalid one).
            let id = state.id.flatMap { id in id.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) == nil } ? id : nil }
            return (id, .failure(ProtocolError(.invalidUTF8, "request is not valid UTF-8 (byte \(bad))")))
        }
        var reader = JSONReader(line)
        do {
            guard try reader.peekKind() == .object else {
                let first = line.firstIndex { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D } ?? 0
                return invalidUTF8() ?? (nil, .failure(ProtocolError(.invalidJSON, "a request is one JSON object per line; this line does not start with '{' (byte \(first))")))
            }
            try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
                try state.member(key, &reader, line)
            }
            try reader.finish()
        } catch {
            return invalidUTF8() ?? (state.id, .failure(ProtocolError(.invalidJSON, "\(error.message) at byte \(error.offset)")))
        }
        return (state.id, state.request())
    }
}

/// What has been read of a request so far. The first type or value error is remembered and parsing goes
/// on, so that an `id` after the bad member is still echoed.
private struct DecodingState {
    var id: [UInt8]?
    var op: String?
    var message: Message?
    var transaction: Transaction?
    var reporter: String?
    var label: String?
    var category: String?
    var format: String?
    var entities: Bool?
    var firstError: ProtocolError?

    mutating func record(_ error: ProtocolError) {
        if firstError == nil { firstError = error }
    }

    mutating func member(_ key: JSONReader.Key, _ reader: inout JSONReader, _ line: UnsafeRawBufferPointer) throws(JSONReader.SyntaxError) {
        switch key {
        case "id":
            let kind = try reader.peekKind()
            let range = try reader.skipValue()
            if kind == .string || kind == .number {
                if range.count <= RequestDecoder.maxIDBytes {
                    id = Array(line[range])
                } else {
                    record(ProtocolError(.badValue, "id: longer than \(RequestDecoder.maxIDBytes) bytes"))
                }
            } else if kind != .null {
                record(ProtocolError(.badValue, "id: must be a string or a number"))
            }
        case "op": op = try string(&reader, "op")
        case "reporter": reporter = try string(&reader, "reporter")
        case "label": label = try string(&reader, "label")
        case "category": category = try string(&reader, "category")
        case "format": format = try string(&reader, "format")
        case "entities": entities = try bool(&reader, "entities")
        case "message": message = try readMessage(&reader)
        case "transaction": transaction = try readTransaction(&reader)
        default: try reader.skipValue()
        }
    }

    /// A string member, or nil (with `bad_value` recorded) when it has another type. `null` reads as absent.
    mutating func string(_ reader: inout JSONReader, _ path: String, max: Int = RequestDecoder.maxShortString) throws(JSONReader.SyntaxError) -> String? {
        switch try reader.peekKind() {
        case .string:
            let value = try reader.readString()
            if value.utf8.count > max {
                record(ProtocolError(.badValue, "\(path): longer than \(max) bytes"))
                return nil
            }
            return value
        case .null:
            try reader.skipValue()
            return nil
        default:
            try reader.skipValue()
            record(ProtocolError(.badValue, "\(path): must be a string"))
            return nil
        }
    }

    mutating func bool(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Bool? {
        switch try reader.peekKind() {
        case .bool: return try reader.readBool()
        case .null: try reader.skipValue(); return nil
        default:
            try reader.skipValue()
            record(ProtocolError(.badValue, "\(path): must be true or false"))
            return nil
        }
    }

    /// Checks that the next value is an object; skips it otherwise, recording `bad_value` unless it is `null`,
    /// which reads as absent for objects as it does for strings (serialisers that write every member send
    /// `"payer": null`).
    mutating func expectObject(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Bool {
        let kind = try reader.peekKind()
        if kind == .object { return true }
        try reader.skipValue()
        if kind != .null { record(ProtocolError(.badValue, "\(path): must be an object")) }
        return false
    }

    mutating func readMessage(_ reader: inout JSONReader) throws(JSONReader.SyntaxError) -> Message? {
        guard try expectObject(&reader, "message") else { return nil }
        var text: String?, channel: String?, sender: String?
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            switch key {
            case "text": text = try string(&reader, "message.text", max: .max)
            case "channel": channel = try string(&reader, "message.channel")
            case "sender": sender = try string(&reader, "message.sender")
            default: try reader.skipValue()
            }
        }
        guard let text else {
            record(ProtocolError(.missingField, "message.text: required (the text to screen)"))
            return nil
        }
        return Message(text: text, channel: channel, sender: sender)
    }

    mutating func readParty(_ reader: inout JSONReader, _ path: String) throws(JSONReader.SyntaxError) -> Transaction.Party? {
        guard try expectObject(&reader, path) else { return nil }
        var party = Transaction.Party()
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            switch key {
            case "account": party.account = try string(&reader, path + ".account")
            case "name": party.name = try string(&reader, path + ".name")
            case "bank": party.bank = try string(&reader, path + ".bank")
            case "type":
                if let type = try string(&reader, path + ".type") {
                    if let parsed = FraudScreenCore.Transaction.AccountType(rawValue: type) {
                        party.type = parsed
                    } else {
                        record(ProtocolError(.badValue, "\(path).type: must be personal or corporate"))
                    }
                }
            default: try reader.skipValue()
            }
        }
        return party
    }

    /// Reads the members; `TransactionJSON.transaction(_:_:)` validates them by the protocol's rules, the same
    /// function `fraudscreen check --transaction` uses.
    mutating func readTransaction(_ reader: inout JSONReader) throws(JSONReader.SyntaxError) -> Transaction? {
        guard try expectObject(&reader, "transaction") else { return nil }
        var fields = TransactionJSON.Fields()
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            switch key {
            case "memo": fields.memo = try string(&reader, "transaction.memo", max: .max)
            case "amount":
                switch try reader.peekKind() {
                case .number:
                    _ = try reader.readNumberBytes()
                    fields.amountIsNumber = true
                case .string, .null:
                    fields.amount = try string(&reader, "transaction.amount")
                default:
                    try reader.skipValue()
                    record(ProtocolError(.badValue, "transaction.amount: \(TransactionJSON.amountTypeMessage)"))
                }
            case "currency": fields.currency = try string(&reader, "transaction.currency")
            case "payer": fields.payer = try readParty(&reader, "transaction.payer")
            case "payee": fields.payee = try readParty(&reader, "transaction.payee")
            case "channel": fields.channel = try string(&reader, "transaction.channel")
            case "first_time_payee": fields.firstTimePayee = try bool(&reader, "transaction.first_time_payee")
            case "timestamp": fields.timestamp = try string(&reader, "transaction.timestamp")
            case "context": fields.context = try string(&reader, "transaction.context", max: .max)
            default: try reader.skipValue()
            }
        }
        do {
            return try TransactionJSON.transaction(fields, .protocolRequest)
        } catch {
            record(ProtocolError(error.code == "missing_field" ? .missingField : .badValue, "transaction.\(error.field): \(error.message)"))
            return nil
        }
    }

    func request() -> Result<Request, ProtocolError> {
        if let firstError { return .failure(firstError) }
        guard let op else { return .failure(ProtocolError(.missingField, "op: required (screen, report, ping, stats, reload)")) }
        let operation: Request.Operation
        switch op {
        case "screen":
            if message != nil && transaction != nil {
                return .failure(ProtocolError(.badValue, "screen: give either message or transaction, not both"))
            }
            if let message { operation = .screenMessage(message) }
            else if let transaction { operation = .screenTransaction(transaction) }
            else { return .failure(ProtocolError(.missingField, "screen: needs message or transaction")) }
        case "report":
            guard let message else { return .failure(ProtocolError(.missingField, "report: needs message")) }
            guard let reporter, !reporter.isEmpty else { return .failure(ProtocolError(.missingField, "reporter: required for report")) }
            guard let label else { return .failure(ProtocolError(.missingField, "label: required for report (fraud or benign)")) }
            guard label == "fraud" || label == "benign" else {
                return .failure(ProtocolError(.badValue, "label: must be fraud or benign, not '\(label)'"))
            }
            operation = .report(Request.Report(message: message, reporter: reporter, label: label, category: category))
        case "ping": operation = .ping
        case "stats":
            guard let format = Request.StatsFormat(rawValue: format ?? "json") else {
                return .failure(ProtocolError(.badValue, "format: must be json or prometheus"))
            }
            operation = .stats(format)
        case "reload": operation = .reload
        default:
            return .failure(ProtocolError(.unknownOp, "op '\(op)' is not one of screen, report, ping, stats, reload"))
        }
        return .success(Request(id: id, operation: operation, listsEntities: entities ?? false))
    }
}
