import FraudScreenCore
/// Turns one request line into a `Request`, or a `ProtocolError` with the stable code the protocol
/// promises (docs/PROTOCOL.md). Unknown members are ignored so clients may send more than this version
/// reads; known members with the wrong type are `bad_value`, absent required ones `missing_field`.
struct RequestDecoder {
    /// Longest accepted `id` (bytes of its JSON text): ids are echoed into every answer.
    static let maxIDBytes = 256

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
    /// Reads typed members and keeps the first problem (the same reader `fraudscreen check --transaction` uses).
    var members = ProtocolMemberReader()

    mutating func record(_ code: ErrorCode, _ path: String, _ message: String) {
        members.record(TransactionJSON.Invalid(code: code.rawValue, field: path, message: message))
    }

    var firstError: ProtocolError? {
        members.firstProblem.map { ProtocolError(ErrorCode(rawValue: $0.code) ?? .badValue, $0.description) }
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
                    record(.badValue, "id", "longer than \(RequestDecoder.maxIDBytes) bytes")
                }
            } else if kind != .null {
                record(.badValue, "id", "must be a string or a number")
            }
        case "op": op = try members.string(&reader, "op")
        case "reporter": reporter = try members.string(&reader, "reporter")
        case "label": label = try members.string(&reader, "label")
        case "category": category = try members.string(&reader, "category")
        case "format": format = try members.string(&reader, "format")
        case "entities": entities = try members.bool(&reader, "entities")
        case "message": message = try readMessage(&reader)
        case "transaction": transaction = try members.transaction(&reader, path: "transaction", .protocolRequest)
        default: try reader.skipValue()
        }
    }

    mutating func readMessage(_ reader: inout JSONReader) throws(JSONReader.SyntaxError) -> Message? {
        guard try members.expectObject(&reader, "message") else { return nil }
        var text: String?, channel: String?, sender: String?
        try reader.readObject { (reader, key) throws(JSONReader.SyntaxError) in
            switch key {
            case "text": text = try members.string(&reader, "message.text", max: .max)
            case "channel": channel = try members.string(&reader, "message.channel")
            case "sender": sender = try members.string(&reader, "message.sender")
            default: try reader.skipValue()
            }
        }
        guard let text else {
            record(.missingField, "message.text", "required (the text to screen)")
            return nil
        }
        return Message(text: text, channel: channel, sender: sender)
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
