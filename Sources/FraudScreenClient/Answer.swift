import Foundation

/// One answer line from the daemon, with the members clients branch on pulled out (docs/PROTOCOL.md).
/// `object` holds the whole answer for anything else.
public struct Answer: @unchecked Sendable {
    /// An `error` answer.
    public struct Failure: Sendable, Equatable {
        /// A stable code: invalid_json, invalid_utf8, too_large, missing_field, bad_value, unknown_op,
        /// forbidden, overloaded, rules_rejected, internal.
        public var code: String
        public var message: String
    }

    /// One rule that fired.
    public struct Hit: Sendable {
        public struct Evidence: Sendable {
            public var field: String
            public var start: Int
            public var end: Int
            public var text: String
            /// What matched: `keyword`, `regex`, `entity`, `list` or `transaction` (a condition on the payment
            /// itself, such as its amount, rather than on text).
            public var source: String
            public var evasive: Bool
        }
        public var rule: String
        public var category: String
        public var score: Int
        public var description: String
        public var evidence: [Evidence]
        /// The rule's ceiling, when it has one: its category (every category for `"*"`) scored at most this.
        public var ceiling: Int? = nil
    }

    /// An entity the verdict lists (asked for with `listingEntities`).
    public struct Entity: Sendable, Equatable {
        /// `url`, `phone`, `bank_card`, `qq`, `wechat`, `amount`, `app_download`.
        public var type: String
        /// For phones and links, what kind (`mobile`, `short_link`…).
        public var kind: String?
        public var value: String
        public var field: String
        public var start: Int
        public var end: Int
    }

    /// The answer line as received (without the newline).
    public var line: String
    /// The parsed object (JSONSerialization types).
    public var object: [String: Any]

    /// Parses an answer line; nil when it is not a JSON object.
    public init?(line: String) {
        guard let data = line.data(using: .utf8),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        self.line = line
        self.object = object
    }

    /// The echoed id as text (a string id as is, a number in its JSON spelling), nil for `null`.
    public var id: String? {
        switch object["id"] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    public var error: Failure? {
        guard let error = object["error"] as? [String: Any] else { return nil }
        return Failure(code: error["code"] as? String ?? "", message: error["message"] as? String ?? "")
    }

    /// `allow`, `warn` or `block` for a verdict answer.
    public var verdict: String? { object["verdict"] as? String }
    public var score: Int? { object["score"] as? Int }
    public var category: String? { object["category"] as? String }
    public var categoryName: String? { object["category_name"] as? String }
    public var advice: String? { object["advice"] as? String }
    public var rulesVersion: String? { object["rules_version"] as? String }
    public var reportID: String? { object["report_id"] as? String }
    public var elapsedMicros: Int? { object["elapsed_us"] as? Int }
    public var truncated: Bool { object["truncated"] as? Bool ?? false }
    /// Every category with a score, highest first.
    public var categoryScores: [(category: String, score: Int)] {
        // JSONSerialization loses member order; order by score as the daemon does.
        ((object["category_scores"] as? [String: Any]) ?? [:]).compactMap { key, value in (value as? Int).map { (key, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    public var hits: [Hit] {
        ((object["hits"] as? [[String: Any]]) ?? []).map { hit in
            Hit(rule: hit["rule"] as? String ?? "", category: hit["category"] as? String ?? "", score: hit["score"] as? Int ?? 0,
                description: hit["description"] as? String ?? "",
                evidence: ((hit["evidence"] as? [[String: Any]]) ?? []).map { e in
                    Hit.Evidence(field: e["field"] as? String ?? "", start: e["start"] as? Int ?? 0, end: e["end"] as? Int ?? 0,
                                 text: e["text"] as? String ?? "", source: e["source"] as? String ?? "",
                                 evasive: e["evasive"] as? Bool ?? false)
                },
                ceiling: hit["ceiling"] as? Int)
        }
    }

    public var entities: [Entity] {
        ((object["entities"] as? [[String: Any]]) ?? []).map { e in
            Entity(type: e["type"] as? String ?? "", kind: e["kind"] as? String, value: e["value"] as? String ?? "",
                   field: e["field"] as? String ?? "", start: e["start"] as? Int ?? 0, end: e["end"] as? Int ?? 0)
        }
    }

    /// The `stats` object of a stats answer.
    public var stats: [String: Any]? { object["stats"] as? [String: Any] }
}
