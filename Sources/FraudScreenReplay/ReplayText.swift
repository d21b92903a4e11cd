import Foundation
import FraudScreenCore

/// The terminal report: the figures first, then where they come from. Colour only when asked.
public struct ReplayText {
    public var report: ReplayReport
    public var colour: Bool
    /// Rules listed by rank (the rest are in --json and --html).
    public var ruleLimit = 25
    /// Changed items listed against a baseline (the rest are in --json and --html).
    public var changeLimit = 20

    public init(report: ReplayReport, colour: Bool = false) {
        self.report = report
        self.colour = colour
    }

    private func style(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    private func heading(_ s: String) -> String { style(s, "1") }
    static func percent(_ x: Double) -> String { String(format: "%6.2f%%", x * 100) }
    private func percent(_ x: Double) -> String { ReplayText.percent(x) }
    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
    private func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    public func render() -> String {
        let r = report, c = r.counts
        var out = ""
        out += "items \(c.total): fraud \(c.fraud), benign \(c.benign), unlabelled \(c.unlabelled)   rules version \(r.ruleSet.version)"
        out += " (\(r.ruleSet.ruleCount) rules, warn ≥ \(r.ruleSet.thresholds.warn), block ≥ \(r.ruleSet.thresholds.block))\n"
        out += "  messages \(c.messages), transactions \(c.transactions)"
        if c.textOnlyTransactions > 0 { out += " (\(c.textOnlyTransactions) screened by their text only)" }
        out += ", files \(c.files), malformed lines \(c.malformed);"
        out += " decisions: allow \(c.allow), warn \(c.warn), block \(c.block)\n"
        if c.fraud + c.benign == 0 { out += "  no labelled items: there is nothing to measure, every rate below is 0\n" }
        out += "\n"
        out += confusion()
        out += categoryRecall()
        out += categoryConfusionTable()
        out += ruleTable()
        out += examples("worst misses", r.worstMisses, r.missCount)
        out += examples("false positives", r.falsePositives, r.falsePositiveCount)
        out += advice()
        if let diff = r.diff { out += ReplayText.diff(diff, limit: changeLimit, style: style) }
        let t = r.throughput
        out += String(format: "\nscreened %d items in %.3f s (%.0f items/s, %d workers)\n", t.items, t.seconds, t.itemsPerSecond, t.workers)
        if t.readSeconds > 0 { out += String(format: "read and parsed them in %.3f s\n", t.readSeconds) }
        return out
    }

    private func confusion() -> String {
        let r = report
        var out = heading("            precision   recall       F1      FP rate    TP    FP    TN    FN") + "\n"
        for (name, c) in [("at warn ", r.atWarn), ("at block", r.atBlock)] {
            out += "  \(name)   \(percent(c.precision))  \(percent(c.recall))  \(percent(c.f1))  \(percent(c.falsePositiveRate))"
            out += String(format: "  %4d  %4d  %4d  %4d\n", c.truePositives, c.falsePositives, c.trueNegatives, c.falseNegatives)
        }
        return out
    }

    private func categoryRecall() -> String {
        guard !report.categories.isEmpty else { return "" }
        var out = "\n" + heading("recall per category          at warn   at block  right category   flagged/items") + "\n"
        for row in report.categories {
            let bar = String(repeating: "█", count: Int((row.recall * 10).rounded()))
            out += "  \(pad(row.id, 26)) \(percent(row.recall))   \(percent(row.blockRecall))     \(percent(row.categoryAccuracy))"
            out += "   \(padLeft("\(row.counts.warned)/\(row.counts.items)", 9))  \(pad(bar, 10)) \(row.name)\n"
        }
        return out
    }

    private func categoryConfusionTable() -> String {
        let table = report.categoryConfusion
        guard !table.rows.isEmpty else { return "" }
        // Columns are numbered like the rows they share a name with; other columns get letters.
        var labels: [String: String] = [:]
        for (i, row) in table.rows.enumerated() { labels[row] = "\(i + 1)" }
        var extra = 0
        let columnLabels = table.columns.map { column -> String in
            if column == "allow" { return "allow" }
            if let label = labels[column] { return label }
            extra += 1
            return String(UnicodeScalar(UInt8(96 + min(extra, 26))))
        }
        var out = "\n" + heading("category confusion (rows: labelled; columns: predicted at warn, numbered like the rows)") + "\n"
        out += "  " + pad("", 30) + columnLabels.map { padLeft($0, 6) }.joined() + "\n"
        for (i, row) in table.rows.enumerated() {
            out += "  " + pad("\(padLeft("\(i + 1)", 2)) \(row)", 30)
            for (j, n) in table.counts[i].enumerated() {
                let cell = n == 0 ? "·" : "\(n)"
                let diagonal = table.columns[j] == row || (row == "benign" && table.columns[j] == "allow")
                out += padLeft(n > 0 && !diagonal ? style(cell, "31") : cell, 6 + (n > 0 && !diagonal && colour ? 9 : 0))
            }
            out += "\n"
        }
        for (j, column) in table.columns.enumerated() where columnLabels[j].first?.isLetter == true && column != "allow" {
            out += "  \(columnLabels[j]) = \(column)\n"
        }
        return out
    }

    private func ruleTable() -> String {
        let r = report
        var out = "\n" + heading("rules by rank (S/O: share of labelled hits on fraud; rank: 95% lower bound of the share pointing the right way)") + "\n"
        out += "  rank  fraud  benign  unlab.    S/O  score  rule\n"
        func line(_ row: ReplayReport.RuleRow) -> String {
            String(format: "  %4d  %5d  %6d  %6d   %4.2f  %+5d  ", row.rank, row.fraudHits, row.benignHits, row.unlabelledHits,
                   row.soRatio, row.score) + row.id + "\n"
        }
        for row in r.rules.prefix(ruleLimit) { out += line(row) }
        if r.rules.count > ruleLimit { out += "  … \(r.rules.count - ruleLimit) more rules hit (see --json or --html)\n" }
        let noisy = r.rules.filter { $0.benignHits > 0 && $0.score > 0 }.sorted { ($0.benignHits, $1.id) > ($1.benignHits, $0.id) }
        if !noisy.isEmpty {
            out += "  rules with positive scores hitting benign items (most first):\n"
            for row in noisy.prefix(10) { out += line(row) }
        }
        let never = r.neverHit
        out += "  rules that never hit: \(never.count)\(never.isEmpty ? "" : " — " + never.prefix(20).joined(separator: ", ") + (never.count > 20 ? ", …" : ""))\n"
        return out
    }

    private func examples(_ title: String, _ list: [ReplayReport.Example], _ count: Int) -> String {
        var out = "\n" + heading("\(title) (\(list.count < count ? "\(list.count) of " : "")\(count)):") + "\n"
        for example in list { out += describe(example.item, example.verdict, indent: "  ") }
        return out
    }

    /// One item: id, verdict and where it is; the text with its evidence marked; the hits with their evidence.
    func describe(_ item: LabelledItem, _ verdict: Verdict, indent: String) -> String {
        var out = "\(indent)\(style(TerminalText.escaped(item.id, keepsLayout: false), "1"))  \(ReplayText.summary(verdict))  \(item.source)\n"
        out += "\(indent)    " + ReplayText.marked(item, verdict, marks: colour ? TerminalText.colourMarks : TerminalText.plainMarks,
                                               limit: 160) + "\n"
        if let summary = ReplayText.transactionSummary(item) { out += "\(indent)    \(TerminalText.escaped(summary, keepsLayout: false))\n" }
        out += ReplayText.hitLines(verdict, indent: indent + "    ")
        return out
    }

    /// What a transaction is besides its text: "10000.00 CNY → personal payee, first time · mobile · 2026-…".
    public static func transactionSummary(_ item: LabelledItem) -> String? {
        guard let t = item.transaction else { return item.transactionProblem.map { "(text only: \($0))" } }
        var parts = ["\(t.amount) \(t.currency)"]
        var payee = "→ " + (t.payee.type.map { "\($0.rawValue) payee" } ?? "payee")
        if let first = t.firstTimePayee { payee += first ? ", first time" : ", known" }
        if let account = t.payee.account, !account.isEmpty { payee += " " + account }
        parts.append(payee)
        if let channel = t.channel { parts.append(channel) }
        parts.append(t.timestamp.text)
        return parts.joined(separator: " · ")
    }

    static func summary(_ verdict: Verdict) -> String {
        "\(verdict.decision.rawValue) \(verdict.score)" + (verdict.category.map { " \($0.id)" } ?? "")
    }

    static func hitLines(_ verdict: Verdict, indent: String) -> String {
        guard !verdict.hits.isEmpty else { return "\(indent)(no rule hit)\n" }
        var out = ""
        for hit in verdict.hits {
            let evidence = hit.evidence.prefix(4).map { e in
                (e.field == "text" ? "" : e.field + " ") + "「\(TerminalText.escaped(e.text.replacingOccurrences(of: "\n", with: " "), keepsLayout: false))」" + (e.evasive ? "(evasive)" : "")
            }.joined(separator: " ")
            out += "\(indent)\(hit.score >= 0 ? "+" : "")\(hit.score) \(hit.ruleID)\(hit.ceiling.map { " (ceiling \($0))" } ?? "") \(evidence)\n"
        }
        return out
    }

    /// The item's text with the evidence of positive hits marked, newlines flattened, cut at `limit` scalars.
    static func marked(_ item: LabelledItem, _ verdict: Verdict, marks: (open: String, close: String), limit: Int) -> String {
        var parts: [String] = []
        for field in item.fields {
            let segments = verdict.evidenceSegments(of: field)
            var text = ""
            var length = 0
            for (segment, isEvidence) in segments {
                var s = TerminalText.escaped(segment.replacingOccurrences(of: "\n", with: " "), keepsLayout: false)
                if length >= limit { break }
                if length + s.unicodeScalars.count > limit {
                    s = String(String.UnicodeScalarView(s.unicodeScalars.prefix(limit - length))) + "…"
                }
                length += s.unicodeScalars.count
                text += isEvidence ? marks.open + s + marks.close : s
            }
            parts.append(item.kind == .transaction ? "\(field.name): \(text)" : text)
        }
        return parts.joined(separator: " · ")
    }

    private func advice() -> String {
        let a = report.advice
        var out = "\n" + heading("threshold advice (an item is flagged when its score ≥ t; figures on this corpus)") + "\n"
        for advice in [a.warn, a.block] {
            out += "  \(pad(advice.level.rawValue, 5)) for FP rate ≤ \(ReplayText.percent(advice.target).trimmingCharacters(in: .whitespaces)):"
            out += " t = \(advice.threshold)  " + figures(advice.confusion)
            out += "   (now \(advice.current): " + figures(advice.currentConfusion) + ")\n"
        }
        if !report.ruleSet.categoriesWithOwnThresholds.isEmpty {
            out += "  note: categories with their own thresholds are judged here by the rule set's: "
                + report.ruleSet.categoriesWithOwnThresholds.joined(separator: ", ") + "\n"
        }
        return out
    }

    private func figures(_ c: CorpusMetrics.Confusion) -> String {
        "precision \(percent(c.precision).trimmingCharacters(in: .whitespaces)), recall \(percent(c.recall).trimmingCharacters(in: .whitespaces)), FP rate \(percent(c.falsePositiveRate).trimmingCharacters(in: .whitespaces))"
    }

    static func diff(_ diff: ReplayDiff, limit: Int, style: (String, String) -> String) -> String {
        var out = "\n" + style("against the baseline rules \(diff.baseline.directory) (version \(diff.baseline.version), \(diff.baseline.ruleCount) rules)", "1") + "\n"
        if let change = ReplayDiff.thresholdChange(diff.baseline, diff.current) { out += "  \(change)\n" }
        out += "  metric                              before      after      delta\n"
        for m in diff.metrics {
            let delta = (m.delta >= 0 ? "+" : "") + String(format: "%.2f", m.delta * 100)
            let coloured = m.delta == 0 ? delta : style(delta, goodDirection(m.name, m.delta) ? "32" : "31")
            out += "  \(m.name.replacingOccurrences(of: "_", with: " ").padding(toLength: 32, withPad: " ", startingAt: 0))"
            out += "  \(percent(m.before))   \(percent(m.after))   \(coloured)\n"
        }
        for c in diff.categories {
            out += "  recall \(c.id.padding(toLength: 25, withPad: " ", startingAt: 0))  \(percent(c.recallBefore))   \(percent(c.recallAfter))   "
            out += (c.recallAfter >= c.recallBefore ? "+" : "") + String(format: "%.2f", (c.recallAfter - c.recallBefore) * 100) + "\n"
        }
        out += "  changed items: \(diff.changes.count) (broken \(diff.count(.broken)), fixed \(diff.count(.fixed)), other \(diff.count(.changed)))\n"
        for change in diff.changes.prefix(limit) {
            let tag = change.kind == .broken ? style("BROKEN", "1;31") : change.kind == .fixed ? style("FIXED", "1;32") : "CHANGED"
            out += "  \(tag) \(TerminalText.escaped(change.item.id, keepsLayout: false)) (\(change.item.label?.rawValue ?? "unlabelled"))  "
            out += "\(summary(change.before)) → \(summary(change.after))  \(change.item.source)\n"
            out += "      " + marked(change.item, change.after, marks: TerminalText.plainMarks, limit: 160) + "\n"
            if let summary = transactionSummary(change.item) { out += "      \(TerminalText.escaped(summary, keepsLayout: false))\n" }
            if change.before.hits.map({ "\($0.ruleID) \($0.score)" }) == change.after.hits.map({ "\($0.ruleID) \($0.score)" }) {
                // Same hits, another decision: only a threshold can have moved it (named above).
                let why = ReplayDiff.thresholdChange(diff.baseline, diff.current) == nil ? "" : "; the thresholds changed"
                out += "      hits (the same before and after\(why)):\n" + hitLines(change.after, indent: "        ")
            } else {
                out += "      before:\n" + hitLines(change.before, indent: "        ")
                out += "      after:\n" + hitLines(change.after, indent: "        ")
            }
        }
        if diff.changes.count > limit { out += "  … \(diff.changes.count - limit) more changed items (see --json or --html)\n" }
        if !diff.rules.isEmpty {
            out += "  rule hit deltas (fraud, benign, unlabelled: before → after):\n"
            for r in diff.rules.prefix(30) {
                out += "    \(r.id.padding(toLength: 36, withPad: " ", startingAt: 0)) fraud \(r.fraudBefore) → \(r.fraudAfter) (\(signed(r.fraudDelta)))"
                out += "   benign \(r.benignBefore) → \(r.benignAfter) (\(signed(r.benignDelta)))"
                if r.unlabelledBefore != r.unlabelledAfter { out += "   unlabelled \(r.unlabelledBefore) → \(r.unlabelledAfter)" }
                out += r.status == .changed ? "\n" : "   [\(r.status.rawValue)]\n"
            }
            if diff.rules.count > 30 { out += "    … \(diff.rules.count - 30) more\n" }
        } else {
            out += "  no rule's hits changed\n"
        }
        return out
    }

    static func signed(_ n: Int) -> String { n > 0 ? "+\(n)" : "\(n)" }

    /// Whether a change of `delta` in the metric named `name` is an improvement.
    static func goodDirection(_ name: String, _ delta: Double) -> Bool {
        name.hasPrefix("false_positive_rate") ? delta < 0 : delta > 0
    }
}
