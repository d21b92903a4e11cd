import FraudScreenCore

/// One decoded request line.
public struct Request: Sendable {
    /// What the client asked for.
    public enum Operation: Sendable {
        case screenMessage(Message)
        case screenTransaction(Transaction)
        case report(Report)
        case ping
        case stats(StatsFormat)
        case reload
    }

    /// How `stats` answers: JSON members, or Prometheus text exposition in a string member.
    public enum StatsFormat: String, Sendable { case json, prometheus }

    /// A reported message: screened, then stored durably for rule authors to replay.
    public struct Report: Sendable {
        public var message: Message
        /// Who reported it (a hotline desk, an operator id).
        public var reporter: String
        /// `fraud` or `benign`: the same labels as the corpus, so reports replay as a corpus.
        public var label: String
        /// The category the reporter assigned, when any.
        public var category: String?
    }

    /// The request's `id` exactly as sent (a JSON string or number), echoed in the answer; nil when absent.
    public var id: [UInt8]?
    public var operation: Operation
    /// Whether the verdict lists every entity found (`"entities": true`). Off by default: listing costs about
    /// an eighth of screening a message, and bank systems do not read it.
    public var listsEntities = false

    /// Whether the operation needs admin credentials.
    public var isAdminOperation: Bool {
        if case .reload = operation { return true }
        return false
    }
}
