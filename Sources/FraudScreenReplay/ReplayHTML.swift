import Foundation
import FraudScreenCore

/// The report as one self-contained HTML page: inline CSS, inline SVG charts and a little inline JS (table
/// sorting and filtering). Nothing is loaded from the network. Chart elements carry stable ids and classes
/// (docs/REPLAY.md) so tests and scripts can find them.
public struct ReplayHTML {
    public var report: ReplayReport
    /// Changed items shown in the diff (the JSON report has all of them).
    public var changeLimit = 200

    public init(report: ReplayReport) { self.report = report }

    // MARK: Helpers

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private func e(_ s: String) -> String { ReplayHTML.escape(s) }
    static func pct(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f%%", x * 100) }
    private func pct(_ x: Double, _ digits: Int = 1) -> String { ReplayHTML.pct(x, digits) }
    private func num(_ x: Double) -> String { String(format: "%.1f", x) }

    // MARK: Page

    public func render() -> String {
        let r = report
        var body = ""
        body += header()
        body += summaryCards()
        if let diff = r.diff { body += diffSection(diff) }
        body += section("quality", "Detection quality 检测质量", confusionTables() + adviceTable())
        body += section("categories", "Recall per category 分类召回", categoryChart() + categoryConfusionTable())
        body += section("scores", "Scores 分数分布", "<div class=\"charts\">" + histogramChart() + curveChart() + "</div>")
        body += section("rules", "Rule hit frequencies 规则命中", ruleTable())
        body += section("misses", "Worst misses 漏报 (\(r.missCount))", examples(r.worstMisses, total: r.missCount, empty: "No fraud item was allowed."))
        body += section("false-positives", "False positives 误报 (\(r.falsePositiveCount))",
                        examples(r.falsePositives, total: r.falsePositiveCount, empty: "No benign item was flagged."))
        if !r.malformed.isEmpty { body += section("malformed", "Malformed input lines (\(r.malformed.count))", malformedList()) }
        body += footer()
        return """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>FraudScreen replay · \(e(r.ruleSet.version))</title>
        <style>\(ReplayHTML.css)</style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        <script>\(ReplayHTML.script)</script>
        </body>
        </html>

        """
    }

    private func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(id)\"><h2>\(e(title))</h2>\n\(content)\n</section>\n"
    }

    private func header() -> String {
        let r = report, s = r.ruleSet
        let inputs = r.inputs.isEmpty ? "" : " · " + r.inputs.map { "<code>\(e($0))</code>" }.joined(separator: " ")
        return """
        <header>
        <h1>FraudScreen replay <span class="sub">规则回放报告</span></h1>
        <p class="meta">rules <code>\(e(s.directory))</code> · version <code>\(e(s.version))</code> · \(s.ruleCount) rules ·
        warn ≥ \(s.thresholds.warn) · block ≥ \(s.thresholds.block)\(inputs) · \(e(ReplayJSON.iso8601(r.generated)))</p>
        </header>

        """
    }

    private func summaryCards() -> String {
        let r = report, c = r.counts
        let diff = r.diff
        func delta(_ name: String) -> String {
            guard let m = diff?.metrics.first(where: { $0.name == name }), m.delta != 0 else { return "" }
            let good = ReplayText.goodDirection(name, m.delta)
            return "<span class=\"delta \(good ? "good" : "bad")\">\(m.delta > 0 ? "+" : "")\(String(format: "%.2f", m.delta * 100)) pts</span>"
        }
        func card(_ label: String, _ value: String, _ detail: String, _ extra: String = "", cls: String = "") -> String {
            "<div class=\"card \(cls)\"><div class=\"label\">\(label)</div><div class=\"value\">\(value)</div><div class=\"detail\">\(detail) \(extra)</div></div>"
        }
        var out = "<section id=\"summary\" class=\"cards\">"
        out += card("Items 样本", "\(c.total)", "fraud \(c.fraud) · benign \(c.benign) · unlabelled \(c.unlabelled)"
                    + (c.transactions > 0 ? " · \(c.transactions) transactions" : "")
                    + (c.textOnlyTransactions > 0 ? " (<span class=\"bad\">\(c.textOnlyTransactions) text only</span>)" : "")
                    + (c.malformed > 0 ? " · <span class=\"bad\">\(c.malformed) malformed</span>" : ""))
        out += card("Recall at warn 召回", pct(r.atWarn.recall), "\(r.atWarn.truePositives) of \(c.fraud) fraud flagged", delta("recall_at_warn"), cls: "accent")
        out += card("Precision at warn 精确", pct(r.atWarn.precision), "\(r.atWarn.falsePositives) false positives", delta("precision_at_warn"))
        out += card("FP rate at warn 误报率", pct(r.atWarn.falsePositiveRate, 2), "\(r.atWarn.falsePositives) of \(c.benign) benign",
                    delta("false_positive_rate_at_warn"), cls: r.atWarn.falsePositiveRate > 0.02 ? "warn" : "")
        out += card("F1 at warn", pct(r.atWarn.f1), "block: recall \(pct(r.atBlock.recall)), FP rate \(pct(r.atBlock.falsePositiveRate, 2))", delta("f1_at_warn"))
        out += card("Throughput 吞吐", String(format: "%.0f/s", r.throughput.itemsPerSecond),
                    String(format: "%.3f s on %d workers", r.throughput.seconds, r.throughput.workers))
        if let diff {
            out += card("Changed 变化", "\(diff.changes.count)",
                        "<span class=\"bad\">\(diff.count(.broken)) broken</span> · <span class=\"good\">\(diff.count(.fixed)) fixed</span> · \(diff.count(.changed)) other",
                        cls: diff.count(.broken) > 0 ? "warn" : "")
        }
        return out + "</section>\n"
    }

    private func confusionTables() -> String {
        let r = report
        var out = "<table class=\"numbers\" id=\"confusion-table\"><thead><tr><th></th><th>precision</th><th>recall</th><th>F1</th><th>FP rate</th><th>TP</th><th>FP</th><th>TN</th><th>FN</th></tr></thead><tbody>"
        for (name, c) in [("at warn ≥ \(r.ruleSet.thresholds.warn)", r.atWarn), ("at block ≥ \(r.ruleSet.thresholds.block)", r.atBlock)] {
            out += "<tr><th>\(name)</th><td>\(pct(c.precision, 2))</td><td>\(pct(c.recall, 2))</td><td>\(pct(c.f1, 2))</td><td>\(pct(c.falsePositiveRate, 2))</td>"
            out += "<td>\(c.truePositives)</td><td>\(c.falsePositives)</td><td>\(c.trueNegatives)</td><td>\(c.falseNegatives)</td></tr>"
        }
        out += "</tbody></table>\n"
        out += "<p class=\"note\">Decisions: allow \(r.counts.allow) · warn \(r.counts.warn) · block \(r.counts.block) (all items, unlabelled included). Unlabelled items are screened and counted but left out of every rate.</p>\n"
        return out
    }

    private func adviceTable() -> String {
        let a = report.advice
        func row(_ advice: ReplayReport.Advice, _ label: String, cls: String = "") -> String {
            let c = advice.confusion
            return "<tr class=\"\(cls)\"><th>\(label)</th><td>≤ \(pct(advice.target, 1))</td><td><b>\(advice.threshold)</b></td><td>\(pct(c.precision))</td><td>\(pct(c.recall))</td><td>\(pct(c.falsePositiveRate, 2))</td><td>\(c.truePositives)</td><td>\(c.falsePositives)</td><td class=\"muted\">\(cls == "advised" ? "\(advice.current): \(pct(advice.currentConfusion.precision)) / \(pct(advice.currentConfusion.recall)) / \(pct(advice.currentConfusion.falsePositiveRate, 2))" : "")</td></tr>"
        }
        var out = "<h3>Threshold advice 阈值建议</h3>\n<p class=\"note\">For a target false-positive rate, the threshold with the highest recall on this corpus (then the fewest false positives, then the lowest score). An item is flagged when its score ≥ t.</p>\n"
        out += "<table class=\"numbers\" id=\"advice-table\"><thead><tr><th></th><th>target FP rate</th><th>t</th><th>precision</th><th>recall</th><th>FP rate</th><th>TP</th><th>FP</th><th>now (t: P / R / FP rate)</th></tr></thead><tbody>"
        out += row(a.warn, "warn", cls: "advised")
        out += row(a.block, "block", cls: "advised")
        out += "<tr class=\"sep\"><th colspan=\"9\">the warn threshold for other targets</th></tr>"
        for advice in a.table { out += row(advice, "", cls: "table-row") }
        out += "</tbody></table>\n"
        if !report.ruleSet.categoriesWithOwnThresholds.isEmpty {
            out += "<p class=\"note\">Categories with their own thresholds are judged here by the rule set's: \(e(report.ruleSet.categoriesWithOwnThresholds.joined(separator: ", "))).</p>"
        }
        return out
    }

    // MARK: Charts

    private func categoryChart() -> String {
        let rows = report.categories
        guard !rows.isEmpty else { return "<p class=\"note\">No labelled fraud.</p>" }
        let width = 1100.0, labelWidth = 310.0, barWidth = 560.0, rowHeight = 26.0, top = 28.0
        let height = top + Double(rows.count) * rowHeight + 12
        var svg = "<svg id=\"category-recall-chart\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"recall per category\">"
        // Grid lines every 20%.
        for step in 0...5 {
            let x = labelWidth + barWidth * Double(step) / 5
            svg += "<line class=\"grid\" x1=\"\(num(x))\" y1=\"\(num(top - 6))\" x2=\"\(num(x))\" y2=\"\(num(height - 8))\"/>"
            svg += "<text class=\"axis\" x=\"\(num(x))\" y=\"\(num(top - 10))\" text-anchor=\"middle\">\(step * 20)%</text>"
        }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let warn = barWidth * row.recall, block = barWidth * row.blockRecall
            let tone = row.recall >= 0.9 ? "high" : row.recall >= 0.7 ? "mid" : "low"
            svg += "<g class=\"category-bar\" data-category=\"\(e(row.id))\" data-recall=\"\(row.recall)\">"
            svg += "<title>\(e(row.name)) (\(e(row.id))): recall at warn \(pct(row.recall)) (\(row.counts.warned)/\(row.counts.items)), at block \(pct(row.blockRecall)), right category \(pct(row.categoryAccuracy))</title>"
            svg += "<text class=\"label\" x=\"\(num(labelWidth - 10))\" y=\"\(num(y + 17))\" text-anchor=\"end\">\(e(row.name)) <tspan class=\"id\">\(e(row.id))</tspan></text>"
            svg += "<rect class=\"track\" x=\"\(num(labelWidth))\" y=\"\(num(y + 4))\" width=\"\(num(barWidth))\" height=\"\(num(rowHeight - 8))\" rx=\"3\"/>"
            svg += "<rect class=\"recall-bar \(tone)\" x=\"\(num(labelWidth))\" y=\"\(num(y + 4))\" width=\"\(num(warn))\" height=\"\(num(rowHeight - 8))\" rx=\"3\"/>"
            svg += "<rect class=\"block-bar\" x=\"\(num(labelWidth))\" y=\"\(num(y + rowHeight - 9))\" width=\"\(num(block))\" height=\"4\"/>"
            svg += "<text class=\"value\" x=\"\(num(labelWidth + barWidth + 10))\" y=\"\(num(y + 17))\">\(pct(row.recall)) <tspan class=\"muted\">\(row.counts.warned)/\(row.counts.items) · block \(pct(row.blockRecall, 0))</tspan></text>"
            svg += "</g>"
        }
        svg += "</svg>"
        return svg + "<p class=\"legend\"><span class=\"swatch recall\"></span>flagged (warn or block) <span class=\"swatch block\"></span>blocked</p>\n"
    }

    /// Thresholds drawn on the score charts: the rule set's and the advised ones.
    private var thresholdMarks: [(name: String, value: Int, cls: String)] {
        let r = report
        var marks = [("warn \(r.ruleSet.thresholds.warn)", r.ruleSet.thresholds.warn, "threshold-warn"),
                     ("block \(r.ruleSet.thresholds.block)", r.ruleSet.thresholds.block, "threshold-block")]
        if r.advice.warn.threshold != r.ruleSet.thresholds.warn {
            marks.append(("advised warn \(r.advice.warn.threshold)", r.advice.warn.threshold, "threshold-advised"))
        }
        if r.advice.block.threshold != r.ruleSet.thresholds.block && r.advice.block.threshold != r.advice.warn.threshold {
            marks.append(("advised block \(r.advice.block.threshold)", r.advice.block.threshold, "threshold-advised"))
        }
        return marks
    }

    private func histogramChart() -> String {
        let h = report.histogram
        let width = 540.0, height = 350.0, left = 48.0, right = 24.0, top = 70.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxScore = Double(max(1, h.bins.count * h.width, (report.ruleSet.thresholds.block / h.width + 1) * h.width))
        let maxCount = max(1, h.bins.map { max($0.fraud, $0.benign) }.max() ?? 1)
        // Square-root scale: the benign mass at score 0 would flatten everything else on a linear one.
        func y(_ n: Int) -> Double { top + plotHeight * (1 - (Double(n) / Double(maxCount)).squareRoot()) }
        func x(_ score: Double) -> Double { left + plotWidth * score / maxScore }
        var svg = "<figure><svg id=\"score-histogram\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"score histogram of fraud and benign items\">"
        svg += "<text class=\"chart-title\" x=\"\(num(left))\" y=\"16\">Score histogram · <tspan class=\"fraud-text\">fraud</tspan> vs <tspan class=\"benign-text\">benign</tspan> (√ scale)</text>"
        for tick in ReplayHTML.countTicks(maxCount) {
            svg += "<line class=\"grid\" x1=\"\(num(left))\" y1=\"\(num(y(tick)))\" x2=\"\(num(width - right))\" y2=\"\(num(y(tick)))\"/>"
            svg += "<text class=\"axis\" x=\"\(num(left - 6))\" y=\"\(num(y(tick) + 4))\" text-anchor=\"end\">\(tick)</text>"
        }
        let binWidth = plotWidth * Double(h.width) / maxScore
        for bin in h.bins {
            let x0 = x(Double(bin.lower))
            let half = max(0.5, binWidth / 2 - 0.5)
            let label = "\(bin.lower)–\(bin.lower + h.width - 1)"
            if bin.fraud > 0 {
                svg += "<rect class=\"bar fraud\" x=\"\(num(x0 + 0.5))\" y=\"\(num(y(bin.fraud)))\" width=\"\(num(half))\" height=\"\(num(top + plotHeight - y(bin.fraud)))\"><title>score \(label): \(bin.fraud) fraud</title></rect>"
            }
            if bin.benign > 0 {
                svg += "<rect class=\"bar benign\" x=\"\(num(x0 + 0.5 + half))\" y=\"\(num(y(bin.benign)))\" width=\"\(num(half))\" height=\"\(num(top + plotHeight - y(bin.benign)))\"><title>score \(label): \(bin.benign) benign</title></rect>"
            }
        }
        svg += axisX(left: left, right: width - right, baseline: top + plotHeight, maxScore: maxScore, x: x)
        svg += thresholdLines(top: top, bottom: top + plotHeight, x: x, maxScore: maxScore)
        svg += "</svg><figcaption>Bins of \(h.width) points. Bars left of a threshold line are allowed by it.</figcaption></figure>"
        return svg
    }

    private func axisX(left: Double, right: Double, baseline: Double, maxScore: Double, x: (Double) -> Double) -> String {
        var svg = "<line class=\"axis-line\" x1=\"\(num(left))\" y1=\"\(num(baseline))\" x2=\"\(num(right))\" y2=\"\(num(baseline))\"/>"
        let step = Double(ScoreAnalysis.binWidth(maxScore: Int(maxScore)) * 5)
        var tick = 0.0
        while tick <= maxScore {
            svg += "<text class=\"axis\" x=\"\(num(x(tick)))\" y=\"\(num(baseline + 16))\" text-anchor=\"middle\">\(Int(tick))</text>"
            tick += max(1, step)
        }
        svg += "<text class=\"axis\" x=\"\(num((left + right) / 2))\" y=\"\(num(baseline + 32))\" text-anchor=\"middle\">score</text>"
        return svg
    }

    /// Threshold lines with their labels in the band above the plot, each label on the first row where it
    /// does not overlap the one before it (at most three rows).
    private func thresholdLines(top: Double, bottom: Double, x: (Double) -> Double, maxScore: Double) -> String {
        var svg = ""
        var rowEnds = [-Double.infinity, -Double.infinity, -Double.infinity]
        for mark in thresholdMarks.sorted(by: { $0.value < $1.value }) where Double(mark.value) <= maxScore {
            let px = x(Double(mark.value))
            let width = Double(mark.name.count) * 6.2
            let row = rowEnds.firstIndex { $0 + 6 <= px - width / 2 } ?? rowEnds.indices.min { rowEnds[$0] < rowEnds[$1] }!
            rowEnds[row] = px + width / 2
            let labelY = top - 34 + Double(row) * 12
            svg += "<g class=\"threshold-line \(mark.cls)\" data-threshold=\"\(mark.value)\">"
            svg += "<line x1=\"\(num(px))\" y1=\"\(num(labelY + 3))\" x2=\"\(num(px))\" y2=\"\(num(bottom))\"/>"
            svg += "<text x=\"\(num(px))\" y=\"\(num(labelY))\" text-anchor=\"middle\">\(e(mark.name))</text></g>"
        }
        return svg
    }

    static func countTicks(_ maxCount: Int) -> [Int] {
        // Round numbers spread over the square-root scale.
        let candidates = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]
        let usable = candidates.filter { $0 <= maxCount }
        var ticks: [Int] = []
        var lastRoot = 0.0
        for c in usable where (Double(c) / Double(maxCount)).squareRoot() - lastRoot >= 0.12 {
            ticks.append(c)
            lastRoot = (Double(c) / Double(maxCount)).squareRoot()
        }
        return ticks
    }

    private func curveChart() -> String {
        let curve = report.curve
        let width = 540.0, height = 350.0, left = 48.0, right = 24.0, top = 70.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let last = Double(curve.last?.threshold ?? 1)
        let maxScore = max(last, Double(report.ruleSet.thresholds.block + 1), 2)
        func x(_ t: Double) -> Double { left + plotWidth * t / maxScore }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - v) }
        var svg = "<figure><svg id=\"pr-curve\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"precision and recall against the threshold\">"
        svg += "<text class=\"chart-title\" x=\"\(num(left))\" y=\"16\">Precision · recall · FP rate vs threshold</text>"
        for step in 0...4 {
            let v = Double(step) / 4
            svg += "<line class=\"grid\" x1=\"\(num(left))\" y1=\"\(num(y(v)))\" x2=\"\(num(width - right))\" y2=\"\(num(y(v)))\"/>"
            svg += "<text class=\"axis\" x=\"\(num(left - 6))\" y=\"\(num(y(v) + 4))\" text-anchor=\"end\">\(step * 25)%</text>"
        }
        // Step lines: a point's figures hold from its threshold up to the next point's.
        func path(_ value: (CorpusMetrics.Confusion) -> Double?, _ cls: String) -> String {
            var d = ""
            var pen = false
            for (i, point) in curve.enumerated() {
                let next = i + 1 < curve.count ? Double(curve[i + 1].threshold) : maxScore
                guard let v = value(point.confusion) else { pen = false; continue }
                d += "\(pen ? "L" : "M")\(num(x(Double(point.threshold)))),\(num(y(v)))L\(num(x(next))),\(num(y(v)))"
                pen = true
            }
            return d.isEmpty ? "" : "<path class=\"curve \(cls)\" d=\"\(d)\"/>"
        }
        svg += path({ $0.truePositives + $0.falsePositives > 0 ? $0.precision : nil }, "pr-precision")
        svg += path({ $0.truePositives + $0.falseNegatives > 0 ? $0.recall : nil }, "pr-recall")
        svg += path({ $0.falsePositives + $0.trueNegatives > 0 ? $0.falsePositiveRate : nil }, "pr-fpr")
        svg += axisX(left: left, right: width - right, baseline: top + plotHeight, maxScore: maxScore, x: x)
        svg += thresholdLines(top: top, bottom: top + plotHeight, x: x, maxScore: maxScore)
        svg += "</svg><figcaption><span class=\"swatch precision\"></span>precision <span class=\"swatch recall-line\"></span>recall <span class=\"swatch fpr\"></span>false-positive rate — flagging every item scoring ≥ t.</figcaption></figure>"
        return svg
    }

    private func categoryConfusionTable() -> String {
        let t = report.categoryConfusion
        guard !t.rows.isEmpty else { return "" }
        var out = "<h3>Category confusion 分类混淆</h3><p class=\"note\">Rows: labelled category; columns: the category the verdict named when it warned or blocked (allow: not flagged). Off-diagonal cells are errors.</p>"
        out += "<div class=\"scroll\"><table id=\"category-confusion\" class=\"heatmap\"><thead><tr><th>labelled ↓ / predicted →</th>"
        for column in t.columns { out += "<th><span class=\"vertical\">\(e(column))</span></th>" }
        out += "</tr></thead><tbody>"
        for (i, row) in t.rows.enumerated() {
            out += "<tr><th>\(e(row))</th>"
            // Shaded by share of the row, so small categories read as clearly as the large benign row.
            let maxCell = max(1, t.counts[i].reduce(0, +))
            for (j, n) in t.counts[i].enumerated() {
                let diagonal = t.columns[j] == row || (row == "benign" && t.columns[j] == "allow")
                let alpha = n == 0 ? 0 : 0.12 + 0.78 * Double(n) / Double(maxCell)
                let colour = diagonal ? "rgba(46,139,87,\(String(format: "%.2f", alpha)))" : "rgba(214,69,80,\(String(format: "%.2f", min(0.9, 0.3 + alpha))))"
                out += n == 0 ? "<td class=\"zero\">·</td>" : "<td class=\"\(diagonal ? "diag" : "off")\" style=\"background:\(colour)\">\(n)</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div>\n"
    }

    private func ruleTable() -> String {
        let r = report
        var out = "<p class=\"note\">S/O: share of a rule's labelled hits that were on fraud. Rank 1 is the rule whose hits point the right way most reliably — fraud for a positive score, benign for a negative one — ordered by the lower bound of the 95% Wilson interval of that share, so one lucky hit does not outrank hundreds. Red rows: positive rules with S/O under 0.8. Click a column to sort.</p>"
        out += "<input type=\"search\" class=\"filter\" data-table=\"rule-table\" placeholder=\"filter rules…\">"
        out += "<div class=\"scroll tall\"><table id=\"rule-table\" class=\"sortable numbers\"><thead><tr>"
        for (title, type) in [("rank", "num"), ("rule · description", "text"), ("category", "text"), ("score", "num"), ("fraud hits", "num"),
                              ("fraud %", "num"), ("benign hits", "num"), ("benign %", "num"), ("unlabelled", "num"), ("S/O", "num")] {
            out += "<th data-type=\"\(type)\">\(title)</th>"
        }
        out += "</tr></thead><tbody>"
        for row in r.rules {
            let cls = row.score > 0 && row.benignHits > 0 && row.soRatio < 0.8 ? " class=\"noisy\"" : ""
            out += "<tr\(cls)><td>\(row.rank)</td><td class=\"rule\"><span class=\"id\">\(e(row.id))</span><span class=\"desc\">\(e(row.description))</span></td><td class=\"text\">\(e(row.category))</td><td data-value=\"\(row.score)\">\(row.score > 0 ? "+" : "")\(row.score)</td>"
            out += "<td>\(row.fraudHits)</td><td data-value=\"\(row.fraudRate)\">\(pct(row.fraudRate))</td><td>\(row.benignHits)</td><td data-value=\"\(row.benignRate)\">\(pct(row.benignRate))</td>"
            out += "<td>\(row.unlabelledHits)</td><td data-value=\"\(row.soRatio)\">\(String(format: "%.2f", row.soRatio))</td></tr>"
        }
        out += "</tbody></table></div>\n"
        out += "<details id=\"never-hit\"\(r.neverHit.isEmpty ? "" : " open")><summary>Rules that never hit 从未命中 (\(r.neverHit.count) of \(r.ruleSet.ruleCount))</summary>"
        out += r.neverHit.isEmpty ? "<p class=\"note\">Every rule hit at least once.</p>" : "<p class=\"idlist\">" + r.neverHit.map { "<code>\(e($0))</code>" }.joined(separator: " ") + "</p>"
        return out + "</details>\n"
    }

    // MARK: Items

    private func marked(_ item: LabelledItem, _ verdict: Verdict) -> String {
        var out = ""
        for field in item.fields {
            if item.kind == .transaction { out += "<span class=\"field\">\(e(field.name))</span> " }
            for (text, evidence) in verdict.evidenceSegments(of: field) {
                out += evidence ? "<mark>\(e(text))</mark>" : e(text)
            }
            if item.kind == .transaction { out += "<br>" }
        }
        if let summary = ReplayText.transactionSummary(item) { out += "<span class=\"txn\">\(e(summary))</span>" }
        return out
    }

    /// The hits of a verdict; with `other` (the other side of a diff), hits only this side has are marked
    /// `only` (new on the new side, gone on the baseline side).
    private func hits(_ verdict: Verdict, other: Verdict? = nil) -> String {
        guard !verdict.hits.isEmpty else { return "<p class=\"muted nohits\">no rule hit</p>" }
        let otherIDs = other.map { Set($0.hits.map(\.ruleID)) }
        var out = "<ul class=\"hits\">"
        for hit in verdict.hits {
            let only = otherIDs.map { !$0.contains(hit.ruleID) } ?? false
            let evidence = hit.evidence.map { ev in
                "<q class=\"\(ev.evasive ? "evasive" : "")\">\(e(ev.text))</q>" + (ev.field == "text" ? "" : "<span class=\"field\">\(e(ev.field))</span>")
            }.joined(separator: " ")
            out += "<li\(only ? " class=\"only\"" : "")><span class=\"score \(hit.score < 0 ? "neg" : "")\">\(hit.score > 0 ? "+" : "")\(hit.score)</span> <code>\(e(hit.ruleID))</code>\(hit.ceiling.map { " <span class=\"muted\">(ceiling \($0))</span>" } ?? "") <span class=\"muted\">\(e(hit.description))</span> \(evidence)</li>"
        }
        return out + "</ul>"
    }

    private func badge(_ verdict: Verdict) -> String {
        "<span class=\"badge \(verdict.decision.rawValue)\">\(verdict.decision.rawValue) \(verdict.score)</span>"
            + (verdict.category.map { " <span class=\"cat\">\(e($0.name)) <code>\(e($0.id))</code></span>" } ?? "")
    }

    private func itemHead(_ item: LabelledItem) -> String {
        let label = item.label?.rawValue ?? "unlabelled"
        return "<code class=\"item-id\">\(e(item.id))</code> <span class=\"label \(label)\">\(label)\(item.category.map { " · \(e($0))" } ?? "")</span> <span class=\"source\">\(e(item.source))</span>"
    }

    private func examples(_ list: [ReplayReport.Example], total: Int, empty: String) -> String {
        guard !list.isEmpty else { return "<p class=\"note\">\(empty)</p>" }
        var out = list.count < total ? "<p class=\"note\">Showing \(list.count) of \(total).</p>" : ""
        for example in list {
            out += "<article class=\"example\"><div class=\"head\">\(itemHead(example.item)) \(badge(example.verdict))</div>"
            out += "<div class=\"text\">\(marked(example.item, example.verdict))</div>\(hits(example.verdict))</article>\n"
        }
        return out
    }

    private func malformedList() -> String {
        "<ul class=\"malformed\">" + report.malformed.prefix(200).map { "<li><code>\(e($0.file)):\($0.line)</code> \(e($0.message))</li>" }.joined()
            + (report.malformed.count > 200 ? "<li>… \(report.malformed.count - 200) more</li>" : "") + "</ul>"
    }

    // MARK: Diff

    private func diffSection(_ diff: ReplayDiff) -> String {
        var out = "<p class=\"meta\">baseline rules <code>\(e(diff.baseline.directory))</code> · version <code>\(e(diff.baseline.version))</code> · \(diff.baseline.ruleCount) rules → <code>\(e(report.ruleSet.version))</code> · \(report.ruleSet.ruleCount) rules</p>"
        if let change = ReplayDiff.thresholdChange(diff.baseline, report.ruleSet) { out += "<p class=\"meta\"><b>\(e(change))</b></p>" }
        out += "<table class=\"numbers\" id=\"diff-metrics\"><thead><tr><th>metric</th><th>baseline</th><th>new</th><th>Δ (points)</th></tr></thead><tbody>"
        for m in diff.metrics {
            let cls = m.delta == 0 ? "" : ReplayText.goodDirection(m.name, m.delta) ? "good" : "bad"
            out += "<tr><th>\(e(m.name.replacingOccurrences(of: "_", with: " ")))</th><td>\(pct(m.before, 2))</td><td>\(pct(m.after, 2))</td><td class=\"\(cls)\">\(m.delta > 0 ? "+" : "")\(String(format: "%.2f", m.delta * 100))</td></tr>"
        }
        for c in diff.categories {
            let d = c.recallAfter - c.recallBefore
            out += "<tr><th>recall · \(e(c.name)) <code>\(e(c.id))</code></th><td>\(pct(c.recallBefore, 2))</td><td>\(pct(c.recallAfter, 2))</td><td class=\"\(d > 0 ? "good" : "bad")\">\(d > 0 ? "+" : "")\(String(format: "%.2f", d * 100))</td></tr>"
        }
        out += "</tbody></table>\n"

        out += "<h3>Changed items 变化样本 (\(diff.changes.count): <span class=\"bad\">\(diff.count(.broken)) broken</span>, <span class=\"good\">\(diff.count(.fixed)) fixed</span>, \(diff.count(.changed)) other)</h3>"
        if diff.changes.isEmpty { out += "<p class=\"note\">No item's verdict or category changed.</p>" }
        // One fold per kind, at most `changeLimit` items each; broken is always open, the others when short.
        for kind in [ReplayDiff.Change.Kind.broken, .fixed, .changed] {
            let list = diff.changes.filter { $0.kind == kind }
            guard !list.isEmpty else { continue }
            let open = kind == .broken || list.count <= 20
            let count = list.count > changeLimit ? "\(changeLimit) of \(list.count); --json has them all" : "\(list.count)"
            out += "<details class=\"changes \(kind.rawValue)\"\(open ? " open" : "")><summary>\(kind.rawValue) (\(count))</summary>"
            for change in list.prefix(changeLimit) {
                out += "<article class=\"example change \(change.kind.rawValue)\" data-kind=\"\(change.kind.rawValue)\"><div class=\"head\"><span class=\"kind\">\(change.kind.rawValue)</span> \(itemHead(change.item))</div>"
                out += "<div class=\"text\">\(marked(change.item, change.after))</div><div class=\"sides\">"
                out += "<div class=\"side\"><div class=\"side-title\">baseline \(badge(change.before))</div>\(hits(change.before, other: change.after))</div>"
                out += "<div class=\"side\"><div class=\"side-title\">new \(badge(change.after))</div>\(hits(change.after, other: change.before))</div></div></article>\n"
            }
            out += "</details>"
        }

        out += "<h3>Rule hit deltas 规则命中变化 (\(diff.rules.count))</h3>"
        if diff.rules.isEmpty {
            out += "<p class=\"note\">No rule's hits changed.</p>"
        } else {
            out += "<div class=\"scroll\"><table id=\"rule-delta-table\" class=\"sortable numbers\"><thead><tr><th data-type=\"text\">rule</th><th data-type=\"text\">status</th><th data-type=\"num\">score</th><th data-type=\"num\">fraud before</th><th data-type=\"num\">fraud after</th><th data-type=\"num\">Δ fraud</th><th data-type=\"num\">benign before</th><th data-type=\"num\">benign after</th><th data-type=\"num\">Δ benign</th><th data-type=\"num\">Δ unlabelled</th></tr></thead><tbody>"
            for r in diff.rules {
                out += "<tr><td class=\"id\">\(e(r.id))</td><td class=\"text\">\(r.status.rawValue)</td><td>\(r.score > 0 ? "+" : "")\(r.score)</td><td>\(r.fraudBefore)</td><td>\(r.fraudAfter)</td>"
                // More fraud hits are good for a positive rule, more benign hits for a negative one.
                let sign = r.score < 0 ? -1 : 1
                func tone(_ delta: Int, wanted: Int) -> String { delta == 0 ? "" : (delta * wanted > 0 ? "good" : "bad") }
                out += "<td class=\"\(tone(r.fraudDelta, wanted: sign))\">\(ReplayText.signed(r.fraudDelta))</td>"
                out += "<td>\(r.benignBefore)</td><td>\(r.benignAfter)</td>"
                out += "<td class=\"\(tone(r.benignDelta, wanted: -sign))\">\(ReplayText.signed(r.benignDelta))</td>"
                out += "<td>\(ReplayText.signed(r.unlabelledAfter - r.unlabelledBefore))</td></tr>"
            }
            out += "</tbody></table></div>"
        }
        return "<section id=\"diff\"><h2>Change against the baseline 规则变更对比</h2>\n\(out)\n</section>\n"
    }

    private func footer() -> String {
        let t = report.throughput
        var line = String(format: "Screened %d items in %.3f s (%.0f items/s) on %d workers", t.items, t.seconds, t.itemsPerSecond, t.workers)
        if t.readSeconds > 0 { line += String(format: " (read in %.3f s)", t.readSeconds) }
        if let b = report.diff?.baselineThroughput {
            line += String(format: "; baseline %.3f s (%.0f items/s)", b.seconds, b.itemsPerSecond)
        }
        return "<footer id=\"throughput\">\(line). Generated by <code>fraudscreen replay</code>; self-contained, no network.</footer>\n"
    }

    // MARK: Assets

    static let css = """
    :root{--fraud:#d6455a;--benign:#3a78c9;--good:#23864f;--bad:#c9352f;--warn:#d08a00;--ink:#1d2330;--muted:#6b7385;--line:#e3e6ec;--bg:#f6f7f9}
    *{box-sizing:border-box}
    body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Zen Hei","PingFang SC","Microsoft YaHei",sans-serif}
    main{max-width:1180px;margin:0 auto;padding:24px 28px 40px}
    header h1{margin:0;font-size:24px}header .sub{color:var(--muted);font-weight:400;font-size:18px;margin-left:6px}
    .meta{color:var(--muted);margin:4px 0 0}
    code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:#eef0f4;border-radius:4px;padding:0 4px}
    section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0;box-shadow:0 1px 2px rgba(20,30,50,.04)}
    h2{margin:0 0 12px;font-size:18px}h3{margin:18px 0 8px;font-size:15px}
    .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;background:none;border:0;box-shadow:none;padding:0}
    .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px;border-top:4px solid #c8ceda}
    .card.accent{border-top-color:var(--good)}.card.warn{border-top-color:var(--warn)}
    .card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
    .card .value{font-size:28px;font-weight:650;margin:2px 0}.card .detail{color:var(--muted);font-size:12px}
    .delta{display:inline-block;font-weight:600;margin-left:4px}.good{color:var(--good)}.bad{color:var(--bad)}
    .note,.legend,figcaption{color:var(--muted);font-size:12.5px;margin:6px 0}
    table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
    thead th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc;position:sticky;top:0}
    table.numbers td{text-align:right;font-variant-numeric:tabular-nums}table.numbers td.id,table.numbers td.desc,table.numbers td.text{text-align:left}
    #rule-table td.rule{text-align:left;max-width:460px}#rule-table .id{display:block;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
    #rule-table .desc{display:block;color:var(--muted);font-size:12px;line-height:1.35}
    tr.advised th,tr.advised td{background:#f1f8f3}tr.sep th{font-size:12px;color:var(--muted);font-weight:600;padding-top:12px}tr.table-row td{color:#3a4150}
    .muted{color:var(--muted)}.scroll{overflow:auto}.scroll.tall{max-height:560px;border:1px solid var(--line);border-radius:6px}
    .chart{width:100%;height:auto;display:block}
    .chart text{font-size:12px;fill:var(--ink)}.chart .axis{fill:var(--muted);font-size:11px}.chart .grid{stroke:#edf0f4}.chart .axis-line{stroke:#9aa3b5}
    .chart .chart-title{font-weight:600;font-size:13px}.chart .id{fill:var(--muted);font-size:11px}
    .chart .track{fill:#f0f2f6}.recall-bar.high{fill:#3fa36b}.recall-bar.mid{fill:#e0a23a}.recall-bar.low{fill:var(--fraud)}.block-bar{fill:#1f5f3c;opacity:.75}
    .bar.fraud{fill:var(--fraud)}.bar.benign{fill:var(--benign)}.fraud-text{fill:var(--fraud)}.benign-text{fill:var(--benign)}
    .threshold-line line{stroke-width:1.5;stroke-dasharray:5 3}.threshold-line text{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
    .threshold-warn line{stroke:var(--warn)}.threshold-warn text{fill:#a86f00}.threshold-block line{stroke:var(--bad)}.threshold-block text{fill:var(--bad)}
    .threshold-advised line{stroke:#6a4fc9;stroke-dasharray:2 3}.threshold-advised text{fill:#6a4fc9}
    .curve{fill:none;stroke-width:2}.pr-precision{stroke:#3a78c9}.pr-recall{stroke:#2e9b5d}.pr-fpr{stroke:var(--fraud);stroke-dasharray:4 2}
    .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 4px 0 10px;vertical-align:-1px}
    .swatch.recall{background:#3fa36b}.swatch.block{background:#1f5f3c;height:5px;vertical-align:2px}
    .swatch.precision{background:#3a78c9;height:3px;vertical-align:3px}.swatch.recall-line{background:#2e9b5d;height:3px;vertical-align:3px}.swatch.fpr{background:var(--fraud);height:3px;vertical-align:3px}
    .charts{display:grid;grid-template-columns:1fr 1fr;gap:18px}figure{margin:0}
    @media (max-width:900px){.charts{grid-template-columns:1fr}}
    table.heatmap{width:auto}table.heatmap td{text-align:center;min-width:34px;font-variant-numeric:tabular-nums}table.heatmap td.zero{color:#c5cad4}
    table.heatmap td.off{color:#fff;font-weight:600}table.heatmap th{white-space:nowrap;font-size:12px}
    .vertical{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block;max-height:170px}
    table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
    tr.noisy td{background:#fff5f4}
    input.filter{margin:4px 0 8px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;width:280px;font:inherit}
    details summary{cursor:pointer;font-weight:600;margin-top:12px}.idlist code{display:inline-block;margin:2px}
    .example{border:1px solid var(--line);border-left:4px solid #c8ceda;border-radius:6px;padding:10px 12px;margin:10px 0}
    .example .head{display:flex;flex-wrap:wrap;gap:8px;align-items:center}.example .text{margin:8px 0;font-size:15px;line-height:1.7;word-break:break-word}
    #misses .example{border-left-color:var(--fraud)}#false-positives .example{border-left-color:var(--benign)}
    .change.broken{border-left-color:var(--bad)}.change.fixed{border-left-color:var(--good)}
    .change .kind{font-weight:700;text-transform:uppercase;font-size:12px}.change.broken .kind{color:var(--bad)}.change.fixed .kind{color:var(--good)}
    details.changes>summary{font-size:13px;text-transform:uppercase;letter-spacing:.03em}
    .side:first-child li.only{text-decoration:line-through;color:var(--muted)}.side:last-child li.only{background:#e9f7ee;border-radius:4px}
    .sides{display:grid;grid-template-columns:1fr 1fr;gap:12px}.side{background:#fafbfc;border-radius:6px;padding:6px 10px}.side-title{font-size:12px;color:var(--muted)}
    .txn{display:block;font-size:12.5px;color:var(--muted);font-family:ui-monospace,"DejaVu Sans Mono",monospace}
    mark{background:#ffe08a;padding:0 1px;border-radius:2px}
    .badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}.badge.allow{background:#7b8496}.badge.warn{background:var(--warn)}.badge.block{background:var(--bad)}
    .label.fraud{color:var(--fraud);font-weight:600}.label.benign{color:var(--benign);font-weight:600}.label.unlabelled{color:var(--muted)}
    .source{color:var(--muted);font-size:12px}.cat{font-size:12px}
    ul.hits{margin:4px 0 0;padding-left:18px}ul.hits li{margin:2px 0}
    .score{font-weight:600;font-variant-numeric:tabular-nums;color:var(--good)}.score.neg{color:var(--bad)}
    q{quotes:"「" "」"}q.evasive{text-decoration:underline wavy var(--bad)}.field{font-size:11px;color:var(--muted);margin-left:2px}
    footer{color:var(--muted);font-size:12px;text-align:center;margin-top:20px}
    """

    static let script = """
    (function(){
      function key(cell,type){var v=cell.getAttribute('data-value');if(v===null)v=cell.textContent.trim();
        if(type==='num'){var n=parseFloat(v.replace(/[^0-9eE.+-]/g,''));return isNaN(n)?-Infinity:n}return v.toLowerCase()}
      document.querySelectorAll('table.sortable').forEach(function(table){
        var heads=table.tHead.rows[0].cells;
        Array.prototype.forEach.call(heads,function(th,index){
          th.addEventListener('click',function(){
            var type=th.getAttribute('data-type')||'text';
            var ascending=th.getAttribute('aria-sort')!=='ascending';
            Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort')});
            th.setAttribute('aria-sort',ascending?'ascending':'descending');
            var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
            rows.sort(function(a,b){var x=key(a.cells[index],type),y=key(b.cells[index],type);
              return (x<y?-1:x>y?1:0)*(ascending?1:-1)});
            rows.forEach(function(r){body.appendChild(r)});
          });
        });
      });
      // A link can open the page sorted: #sort=TABLE-ID:COLUMN[:desc].
      var m=/^#sort=([A-Za-z0-9_-]+):([0-9]+)(?::(desc))?$/.exec(location.hash);
      if(m){var t=document.getElementById(m[1]);if(t&&t.tHead.rows[0].cells[+m[2]]){var th=t.tHead.rows[0].cells[+m[2]];th.click();if(m[3])th.click();}}
      // Marks for tools and tests: the script ran, and how wide each chart was laid out.
      document.querySelectorAll('table.sortable').forEach(function(t){t.setAttribute('data-sortable','ready')});
      document.querySelectorAll('svg.chart').forEach(function(svg){svg.setAttribute('data-rendered-width',Math.round(svg.getBoundingClientRect().width))});
      document.querySelectorAll('input.filter').forEach(function(input){
        input.addEventListener('input',function(){
          var table=document.getElementById(input.getAttribute('data-table'));var q=input.value.toLowerCase();
          Array.prototype.forEach.call(table.tBodies[0].rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none'});
        });
      });
    })();
    """
}
