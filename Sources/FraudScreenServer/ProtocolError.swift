/// The stable error codes of the protocol (docs/PROTOCOL.md). Clients branch on these; never rename one.
public enum ErrorCode: String, Sendable, CaseIterable {
    /// The line is not one JSON object.
    case invalidJSON = "invalid_json"
    /// The line is not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// The line is longer than the daemon's `max_line_bytes`; it was skipped.
    case tooLarge = "too_large"
    /// A required member is absent.
    case missingField = "missing_field"
    /// A member has the wrong type or an unacceptable value.
    case badValue = "bad_value"
    /// `op` names no operation.
    case unknownOp = "unknown_op"
    /// The peer's credentials do not allow the operation.
    case forbidden
    /// The daemon refuses more work (too many connections).
    case overloaded
    /// A reload found the rule set broken; the previous rule set keeps serving.
    case rulesRejected = "rules_rejected"
    /// The daemon failed (for example a report could not be stored); the request may be retried.
    case `internal`
}

/// An error answer: a stable code and a message for people.
public struct ProtocolError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
