import FraudScreenCore

/// The human report of a verdict for hotline staff: decision, category, score, why, what to say, and the
/// original text with the evidence highlighted.
struct VerdictReport {
    var verdict: Verdict
    var document: Document
    var colour: Bool

    private func style(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// The entities line, `要素 entities: type/kind=value  …` (shared with the daemon's answers in `check --socket`).
    static func entitiesLine(_ entities: [(type: String, kind: String?, value: String)]) -> String {
        "要素 entities: " + entities.map { "\($0.type)\($0.kind.map { "/\($0)" } ?? "")=\(TerminalText.escaped($0.value, keepsLayout: false))" }.joined(separator: "  ") + "\n"
    }

    func render() -> String {
        var out = ""
        let decision: String
        switch verdict.decision {
        case .block: decision = style("BLOCK 拦截", "1;41;97")
        case .warn: decision = style("WARN 预警", "1;43;30")
        case .allow: decision = style("ALLOW 放行", "1;42;30")
        }
        out += "判定 verdict: \(decision)  score \(verdict.score)"
        if let category = verdict.category { out += "  \(category.name) (\(category.id))" }
        out += "\n"
        if verdict.categoryScores.count > 1 {
            out += "各类得分 scores: " + verdict.categoryScores.map { "\($0.category) \($0.score)" }.joined(separator: ", ") + "\n"
        }
        if !verdict.hits.isEmpty {
            out += "命中规则 rules:\n"
            for hit in verdict.hits {
                let sign = hit.score >= 0 ? "+" : ""
                out += "  \(sign)\(hit.score)  \(style(hit.ruleID, "1"))  [\(hit.category)]  \(hit.description)\n"
                for e in hit.evidence {
                    let mark = e.evasive ? "  (evasive: 规避写法)" : ""
                    out += "        \(e.field)[\(e.span.start)..<\(e.span.end)] \(e.source.rawValue) 「\(TerminalText.escaped(e.text, keepsLayout: false))」\(mark)\n"
                }
            }
        }
        if !verdict.entities.isEmpty {
            out += VerdictReport.entitiesLine(verdict.entities.map { (type: $0.entity.kind.rawValue, kind: $0.entity.subkind, value: $0.entity.value) })
        }
        if let advice = verdict.advice { out += "劝阻话术 advice: \(advice)\n" }
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
        if verdict.truncated { out += "note: the text was longer than the rule set screens; only its beginning was screened\n" }
        out += "rules version \(verdict.rulesVersion)\n"
        return out
    }

    /// The field's text with its evidence marked, printable: what the message holds that could steer the
    /// terminal is shown escaped, and each line after the first is indented under the label.
    private func highlighted(_ field: Document.Field) -> String {
        let marks = colour ? TerminalText.colourMarks : TerminalText.plainMarks
        return verdict.evidenceSegments(of: field).map { text, evidence in
            let shown = TerminalText.escaped(text).replacingOccurrences(of: "\n", with: "\n  ")
            return evidence ? marks.open + shown + marks.close : shown
        }.joined()
    }
}
