import FraudScreenClient
import FraudScreenCore

/// The human report of a verdict for hotline staff: decision, category, score, why, what to say, and the
/// original text with the evidence highlighted. The same report whether the verdict was made in-process or by
/// the daemon (`check --socket`): both are read into `Facts` first.
struct VerdictReport {
    /// What the report shows, from a verdict or from a daemon's answer.
    struct Facts {
        struct Evidence {
            var field: String
            var span: TextSpan
            var source: String
            var text: String
            var evasive: Bool
        }
        struct Hit {
            var rule: String
            var category: String
            var score: Int
            var description: String
            var evidence: [Evidence]
            var ceiling: Int?
        }
        var decision: Verdict.Decision
        var score: Int
        var category: (id: String, name: String)?
        var categoryScores: [(category: String, score: Int)]
        var hits: [Hit]
        var entities: [(type: String, kind: String?, value: String)]
        var advice: String?
        var truncated: Bool
        /// `rules version …` and, for a daemon, which one answered and how fast.
        var origin: String
    }

    var facts: Facts
    var document: Document
    var colour: Bool

    init(verdict: Verdict, document: Document, colour: Bool) {
        let hits = verdict.hits.map { hit in
            Facts.Hit(rule: hit.ruleID, category: hit.category, score: hit.score, description: hit.description,
                      evidence: hit.evidence.map { .init(field: $0.field, span: $0.span, source: $0.source.rawValue, text: $0.text, evasive: $0.evasive) },
                      ceiling: hit.ceiling)
        }
        facts = Facts(decision: verdict.decision, score: verdict.score, category: verdict.category.map { ($0.id, $0.name) },
                      categoryScores: verdict.categoryScores, hits: hits,
                      entities: verdict.entities.map { (type: $0.entity.kind.rawValue, kind: $0.entity.subkind, value: $0.entity.value) },
                      advice: verdict.advice, truncated: verdict.truncated, origin: "rules version \(verdict.rulesVersion)")
        self.document = document
        self.colour = colour
    }

    /// A daemon's verdict answer; nil when it is not one (an error, or a decision this client does not know).
    init?(answer: Answer, daemon socket: String, document: Document, colour: Bool) {
        guard let decision = answer.verdict.flatMap(Verdict.Decision.init(rawValue:)) else { return nil }
        let hits = answer.hits.map { hit in
            Facts.Hit(rule: hit.rule, category: hit.category, score: hit.score, description: hit.description,
                      evidence: hit.evidence.map { .init(field: $0.field, span: TextSpan(start: $0.start, end: $0.end), source: $0.source,
                                                         text: $0.text, evasive: $0.evasive) },
                      ceiling: hit.ceiling)
        }
        let category = answer.category.map { id in (id: id, name: answer.categoryName ?? id) }
        facts = Facts(decision: decision, score: answer.score ?? 0, category: category, categoryScores: answer.categoryScores, hits: hits,
                      entities: answer.entities.map { (type: $0.type, kind: $0.kind, value: $0.value) }, advice: answer.advice,
                      truncated: answer.truncated,
                      origin: "rules version \(answer.rulesVersion ?? "?") (daemon at \(socket), \(answer.elapsedMicros ?? 0) µs)")
        self.document = document
        self.colour = colour
    }

    private func style(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    func render() -> String {
        var out = ""
        let decision: String
        switch facts.decision {
        case .block: decision = style("BLOCK 拦截", "1;41;97")
        case .warn: decision = style("WARN 预警", "1;43;30")
        case .allow: decision = style("ALLOW 放行", "1;42;30")
        }
        out += "判定 verdict: \(decision)  score \(facts.score)"
        if let category = facts.category { out += "  \(category.name) (\(category.id))" }
        out += "\n"
        if facts.categoryScores.count > 1 {
            out += "各类得分 scores: " + facts.categoryScores.map { "\($0.category) \($0.score)" }.joined(separator: ", ") + "\n"
        }
        if !facts.hits.isEmpty {
            out += "命中规则 rules:\n"
            for hit in facts.hits {
                let sign = hit.score >= 0 ? "+" : ""
                let cap = hit.ceiling.map { "  (封顶 ceiling \($0))" } ?? ""
                out += "  \(sign)\(hit.score)  \(style(hit.rule, "1"))  [\(hit.category)]  \(hit.description)\(cap)\n"
                for e in hit.evidence {
                    let mark = e.evasive ? "  (evasive: 规避写法)" : ""
                    out += "        \(e.field)[\(e.span.start)..<\(e.span.end)] \(e.source) 「\(TerminalText.escaped(e.text, keepsLayout: false))」\(mark)\n"
                }
            }
        }
        if !facts.entities.isEmpty {
            out += "要素 entities: " + facts.entities.map { "\($0.type)\($0.kind.map { "/\($0)" } ?? "")=\(TerminalText.escaped($0.value, keepsLayout: false))" }
                .joined(separator: "  ") + "\n"
        }
        if let advice = facts.advice { out += "劝阻话术 advice: \(advice)\n" }
        if let transaction = document.transaction {
            let line = "交易 transaction: \(transaction.amount) \(transaction.currency) → \(transaction.payee.name ?? "?") "
                + "(\(transaction.payee.type?.rawValue ?? "type unknown"), \(transaction.payee.account ?? "no account"))"
                + "\(transaction.firstTimePayee == true ? ", first-time payee" : "") at \(transaction.timestamp)"
            out += TerminalText.escaped(line, keepsLayout: false) + "\n"
        }
        for field in document.fields {
            let label = document.fields.count == 1 && field.name == "text" ? "原文 text" : field.name
            out += "\(label) (evidence \(colour ? "highlighted" : "in \(TerminalText.plainMarks.open) \(TerminalText.plainMarks.close)")):\n  \(highlighted(field))\n"
        }
        if facts.truncated { out += "note: the text was longer than the rule set screens; only its beginning was screened\n" }
        out += facts.origin + "\n"
        return out
    }

    /// The field's text with its evidence marked, printable: what the message holds that could steer the
    /// terminal is shown escaped, and each line after the first is indented under the label.
    private func highlighted(_ field: Document.Field) -> String {
        let marks = colour ? TerminalText.colourMarks : TerminalText.plainMarks
        let spans = facts.hits.filter { $0.score > 0 }.flatMap { $0.evidence.map { (field: $0.field, span: $0.span) } }
        return Verdict.evidenceSegments(of: field, spans: spans).map { text, evidence in
            let shown = TerminalText.escaped(text).replacingOccurrences(of: "\n", with: "\n  ")
            return evidence ? marks.open + shown + marks.close : shown
        }.joined()
    }
}
