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
        "要素 entities: " + entities.map { "\($0.type)\($0.kind.map { "/\($0)" } ?? "")=\($0.value)" }.joined(separator: "  ") + "\n"
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
                    out += "        \(e.field)[\(e.span.start)..<\(e.span.end)] \(e.source.rawValue) 「\(e.text)」\(mark)\n"
                }
            }
        }
        if !verdict.entities.isEmpty {
            out += VerdictReport.entitiesLine(verdict.entities.map { (type: $0.entity.kind.rawValue, kind: $0.entity.subkind, value: $0.entity.value) })
        }
        if let advice = verdict.advice { out += "劝阻话术 advice: \(advice)\n" }
        if let transaction = document.transaction {
            out += "交易 transaction: \(transaction.amount) \(transaction.currency) → \(transaction.payee.name ?? "?") "
                + "(\(transaction.payee.type?.rawValue ?? "type unknown"), \(transaction.payee.account ?? "no account"))"
                + "\(transaction.firstTimePayee == true ? ", first-time payee" : "") at \(transaction.timestamp)\n"
        }
        for field in document.fields {
            let label = document.fields.count == 1 && field.name == "text" ? "原文 text" : field.name
            out += "\(label) (evidence \(colour ? "highlighted" : "in 【】")):\n  \(highlighted(field))\n"
        }
        if verdict.truncated { out += "note: the text was longer than the rule set screens; only its beginning was screened\n" }
        out += "rules version \(verdict.rulesVersion)\n"
        return out
    }

    private func highlighted(_ field: Document.Field) -> String {
        let scalars = Array(field.text.unicodeScalars)
        var marked = [Bool](repeating: false, count: scalars.count + 1)
        for hit in verdict.hits where hit.score > 0 {
            for e in hit.evidence where e.field == field.name {
                for i in max(0, e.span.start)..<min(scalars.count, e.span.end) { marked[i] = true }
            }
        }
        var out = String.UnicodeScalarView()
        var inside = false
        let open = colour ? "\u{1B}[1;31;4m" : "【", close = colour ? "\u{1B}[0m" : "】"
        for (i, scalar) in scalars.enumerated() {
            if marked[i] != inside {
                out.append(contentsOf: (marked[i] ? open : close).unicodeScalars)
                inside = marked[i]
            }
            out.append(scalar)
        }
        if inside { out.append(contentsOf: close.unicodeScalars) }
        return String(out)
    }
}
