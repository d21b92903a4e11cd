import Foundation
import FraudScreenCore

extension JSONWriter {
    /// A number as Swift prints it (shortest round-tripping form, valid JSON); null when not finite.
    mutating func value(_ x: Double) {
        if x.isFinite { raw(Array(String(x).utf8)) } else { null() }
    }
    mutating func field(_ name: String, _ x: Double) { key(name); value(x) }
    mutating func field(_ name: String, _ n: Int?) { key(name); if let n { value(n) } else { null() } }
}

/// The report as one JSON document (schema `fraudscreen.replay/1`, documented in docs/REPLAY.md).
public enum ReplayJSON {
    public static let schema = "fraudscreen.replay/1"

    public static func render(_ report: ReplayReport) -> String {
        var json = JSONWriter(reservingCapacity: 1 << 16)
        json.beginObject()
        json.field("schema", schema)
        json.field("generated", iso8601(report.generated))
        json.beginArray(key: "inputs")
        for input in report.inputs { json.value(input) }
        json.endArray()
        json.key("rule_set")
        write(report.ruleSet, &json)

        let c = report.counts
        json.beginObject(key: "counts")
        json.field("total", c.total)
        json.field("fraud", c.fraud)
        json.field("benign", c.benign)
        json.field("unlabelled", c.unlabelled)
        json.field("messages", c.messages)
        json.field("transactions", c.transactions)
        json.field("text_only_transactions", c.textOnlyTransactions)
        json.field("files", c.files)
        json.field("malformed", c.malformed)
        json.beginObject(key: "decisions")
        json.field("allow", c.allow)
        json.field("warn", c.warn)
        json.field("block", c.block)
        json.endObject()
        json.endObject()

        json.beginObject(key: "metrics")
        json.key("warn"); write(report.atWarn, &json)
        json.key("block"); write(report.atBlock, &json)
        json.endObject()

        json.beginArray(key: "categories")
        for row in report.categories {
            json.beginObject()
            json.field("id", row.id)
            json.field("name", row.name)
            json.field("items", row.counts.items)
            json.field("warned", row.counts.warned)
            json.field("blocked", row.counts.blocked)
            json.field("right_category", row.counts.rightCategory)
            json.field("recall", row.recall)
            json.field("block_recall", row.blockRecall)
            json.field("category_accuracy", row.categoryAccuracy)
            json.endObject()
        }
        json.endArray()

        json.beginObject(key: "category_confusion")
        json.beginArray(key: "rows")
        for row in report.categoryConfusion.rows { json.value(row) }
        json.endArray()
        json.beginArray(key: "columns")
        for column in report.categoryConfusion.columns { json.value(column) }
        json.endArray()
        json.beginArray(key: "counts")
        for row in report.categoryConfusion.counts {
            json.beginArray()
            for n in row { json.value(n) }
            json.endArray()
        }
        json.endArray()
        json.endObject()

        json.beginArray(key: "rules")
        for rule in report.rules {
            json.beginObject()
            json.field("rank", rule.rank)
            json.field("id", rule.id)
            json.field("category", rule.category)
            json.field("score", rule.score)
            json.field("description", rule.description)
            json.field("fraud_hits", rule.fraudHits)
            json.field("benign_hits", rule.benignHits)
            json.field("unlabelled_hits", rule.unlabelledHits)
            json.field("fraud_rate", rule.fraudRate)
            json.field("benign_rate", rule.benignRate)
            json.field("so_ratio", rule.soRatio)
            json.field("rank_score", rule.rankScore)
            json.endObject()
        }
        json.endArray()
        json.beginArray(key: "never_hit")
        for id in report.neverHit { json.value(id) }
        json.endArray()

        for (name, count, examples) in [("worst_misses", report.missCount, report.worstMisses),
                                        ("false_positives", report.falsePositiveCount, report.falsePositives)] {
            json.beginObject(key: name)
            json.field("count", count)
            json.beginArray(key: "items")
            for example in examples {
                json.beginObject()
                writeItem(example.item, &json)
                json.key("verdict"); writeVerdict(example.verdict, &json)
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }

        json.beginObject(key: "histogram")
        json.field("bin_width", report.histogram.width)
        json.beginArray(key: "bins")
        for bin in report.histogram.bins {
            json.beginObject()
            json.field("lower", bin.lower)
            json.field("upper", bin.lower + report.histogram.width)
            json.field("fraud", bin.fraud)
            json.field("benign", bin.benign)
            json.endObject()
        }
        json.endArray()
        json.endObject()

        json.beginArray(key: "curve")
        for point in report.curve {
            json.beginObject()
            json.field("threshold", point.threshold)
            writeConfusionMembers(point.confusion, &json)
            json.endObject()
        }
        json.endArray()

        json.beginObject(key: "advice")
        json.key("warn"); write(report.advice.warn, &json)
        json.key("block"); write(report.advice.block, &json)
        json.beginArray(key: "table")
        for advice in report.advice.table { write(advice, &json) }
        json.endArray()
        json.endObject()

        json.key("throughput"); write(report.throughput, &json)

        json.beginArray(key: "malformed")
        for bad in report.malformed {
            json.beginObject()
            json.field("file", bad.file)
            json.field("line", bad.line)
            json.field("message", bad.message)
            json.endObject()
        }
        json.endArray()

        json.key("diff")
        if let diff = report.diff { write(diff, &json) } else { json.null() }
        json.endObject()
        return json.string
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func write(_ info: ReplayReport.RuleSetInfo, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("directory", info.directory)
        json.field("version", info.version)
        json.field("rules", info.ruleCount)
        json.beginObject(key: "thresholds")
        json.field("warn", info.thresholds.warn)
        json.field("block", info.thresholds.block)
        json.endObject()
        json.beginArray(key: "categories_with_own_thresholds")
        for id in info.categoriesWithOwnThresholds { json.value(id) }
        json.endArray()
        json.beginObject(key: "category_thresholds")
        for (category, thresholds) in info.categoryThresholds {
            json.beginObject(key: category)
            json.field("warn", thresholds.warn)
            json.field("block", thresholds.block)
            json.endObject()
        }
        json.endObject()
        json.endObject()
    }

    static func writeConfusionMembers(_ c: CorpusMetrics.Confusion, _ json: inout JSONWriter) {
        json.field("tp", c.truePositives)
        json.field("fp", c.falsePositives)
        json.field("tn", c.trueNegatives)
        json.field("fn", c.falseNegatives)
        json.field("precision", c.precision)
        json.field("recall", c.recall)
        json.field("f1", c.f1)
        json.field("false_positive_rate", c.falsePositiveRate)
    }

    static func write(_ c: CorpusMetrics.Confusion, _ json: inout JSONWriter) {
        json.beginObject()
        writeConfusionMembers(c, &json)
        json.endObject()
    }

    static func write(_ advice: ReplayReport.Advice, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("level", advice.level.rawValue)
        json.field("target_false_positive_rate", advice.target)
        json.field("threshold", advice.threshold)
        writeConfusionMembers(advice.confusion, &json)
        json.beginObject(key: "current")
        json.field("threshold", advice.current)
        writeConfusionMembers(advice.currentConfusion, &json)
        json.endObject()
        json.endObject()
    }

    static func write(_ t: ReplayReport.Throughput, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("items", t.items)
        json.field("seconds", t.seconds)
        json.field("items_per_second", t.itemsPerSecond)
        json.field("workers", t.workers)
        json.field("read_seconds", t.readSeconds)
        json.endObject()
    }

    /// The item's members: id, source, kind, label, category, text, and a transaction's fields.
    static func writeItem(_ item: LabelledItem, _ json: inout JSONWriter) {
        json.field("id", item.id)
        json.field("source", item.source)
        json.field("kind", item.kind.rawValue)
        json.field("label", item.label?.rawValue)
        json.field("category", item.category)
        json.field("text", item.text)
        if item.kind == .transaction {
            json.beginObject(key: "fields")
            for field in item.fields { json.field(field.name, field.text) }
            json.endObject()
            if let problem = item.transactionProblem { json.field("transaction_problem", problem) }
        }
    }

    /// The verdict object `fraudscreen check --json` prints.
    static func writeVerdict(_ verdict: Verdict, _ json: inout JSONWriter) {
        json.beginObject()
        verdict.writeMembers(to: &json)
        json.endObject()
    }

    static func write(_ diff: ReplayDiff, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("baseline_rule_set")
        write(diff.baseline, &json)
        json.beginObject(key: "baseline_metrics")
        json.key("warn"); write(diff.baselineAtWarn, &json)
        json.key("block"); write(diff.baselineAtBlock, &json)
        json.endObject()
        json.beginObject(key: "counts")
        for kind in ReplayDiff.Change.Kind.allCases { json.field(kind.rawValue, diff.count(kind)) }
        json.endObject()
        json.beginArray(key: "metrics")
        for m in diff.metrics {
            json.beginObject()
            json.field("name", m.name)
            json.field("before", m.before)
            json.field("after", m.after)
            json.field("delta", m.delta)
            json.endObject()
        }
        json.endArray()
        json.beginArray(key: "categories")
        for c in diff.categories {
            json.beginObject()
            json.field("id", c.id)
            json.field("name", c.name)
            json.field("recall_before", c.recallBefore)
            json.field("recall_after", c.recallAfter)
            json.field("delta", c.recallAfter - c.recallBefore)
            json.endObject()
        }
        json.endArray()
        json.beginArray(key: "rules")
        for r in diff.rules {
            json.beginObject()
            json.field("id", r.id)
            json.field("status", r.status.rawValue)
            json.field("score", r.score)
            json.field("fraud_before", r.fraudBefore)
            json.field("fraud_after", r.fraudAfter)
            json.field("benign_before", r.benignBefore)
            json.field("benign_after", r.benignAfter)
            json.field("unlabelled_before", r.unlabelledBefore)
            json.field("unlabelled_after", r.unlabelledAfter)
            json.endObject()
        }
        json.endArray()
        json.beginArray(key: "changes")
        for change in diff.changes {
            json.beginObject()
            json.field("change", change.kind.rawValue)
            writeItem(change.item, &json)
            json.key("before"); writeVerdict(change.before, &json)
            json.key("after"); writeVerdict(change.after, &json)
            json.endObject()
        }
        json.endArray()
        json.key("baseline_throughput"); write(diff.baselineThroughput, &json)
        json.endObject()
    }
}

/// `--verdicts FILE`: one JSON line per input item, in input order.
public enum VerdictsFile {
    /// `{"id", "source", "label", "labelled_category", "verdict", "score", "category", "rules": [ids]}` per line.
    public static func render(items: [LabelledItem], verdicts: [Verdict]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(items.count * 160)
        for (item, verdict) in zip(items, verdicts) {
            var out = JSONWriter(reservingCapacity: 256)
            out.beginObject()
            out.field("id", item.id)
            out.field("source", item.source)
            out.field("label", item.label?.rawValue)
            out.field("labelled_category", item.category)
            out.field("verdict", verdict.decision.rawValue)
            out.field("score", verdict.score)
            out.field("category", verdict.category?.id)
            out.beginArray(key: "rules")
            for hit in verdict.hits { out.value(hit.ruleID) }
            out.endArray()
            out.endObject()
            out.withBytes { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}
