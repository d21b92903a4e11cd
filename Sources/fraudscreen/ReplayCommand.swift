import ArgumentParser
import Dispatch
import FraudScreenCore
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Screen a labelled corpus and report detection quality (the rule author's workbench).",
        discussion: "Reads JSONL files or directories of them. Bad lines are reported with file:line and skipped."
    )

    @OptionGroup var rules: RulesOptions

    @Option(name: .long, help: "Write one JSONL line per item (id, verdict, score, category, rules) to FILE.")
    var verdicts: String?

    @Option(name: .long, help: "Fail (exit 1) when recall at warn is below R (0–1).")
    var failUnderRecall: Double?

    @Option(name: .long, help: "Fail (exit 1) when the false-positive rate at warn is above F (0–1).")
    var maxFalsePositiveRate: Double?

    @Flag(name: .long, help: "Treat malformed input lines as fatal.")
    var strict = false

    @Argument(help: "Corpus JSONL files or directories.")
    var paths: [String]

    func run() throws {
        let ruleSet = try rules.load()
        let (items, badLines) = try readCorpus()
        for bad in badLines { FileOutput.standardError.write("skipped \(bad)\n") }
        if strict && !badLines.isEmpty { throw ToolFailure(message: "\(badLines.count) malformed line(s) (--strict)", exitCode: 1) }

        let clock = ContinuousClock()
        let start = clock.now
        let results = ReplayCommand.screenAll(items, ruleSet: ruleSet)
        let elapsed = clock.now - start

        var metrics = CorpusMetrics()
        for (item, verdict) in zip(items, results) { metrics.add(item, verdict) }
        if let verdicts { try writeVerdicts(items, results, to: verdicts) }
        FileOutput.standardOutput.write(ReplayReport(metrics: metrics, items: items, verdicts: results, ruleSet: ruleSet,
                                                     elapsed: elapsed, colour: FileOutput.colourOutput).render())

        var failures: [String] = []
        if let floor = failUnderRecall, metrics.atWarn.recall < floor {
            failures.append(String(format: "recall %.4f is under %.4f", metrics.atWarn.recall, floor))
        }
        if let ceiling = maxFalsePositiveRate, metrics.atWarn.falsePositiveRate > ceiling {
            failures.append(String(format: "false-positive rate %.4f is over %.4f", metrics.atWarn.falsePositiveRate, ceiling))
        }
        if !failures.isEmpty { throw ToolFailure(message: "gate failed: " + failures.joined(separator: "; "), exitCode: 1) }
    }

    private func readCorpus() throws -> ([LabelledItem], [CorpusReader.BadLine]) {
        do { return try CorpusReader.read(paths: paths) } catch let error as CorpusError {
            throw ToolFailure(message: error.message)
        }
    }

    /// Screens on every core: each worker has its own `Screener` (they are not thread-safe) and a
    /// contiguous slice of the items, so results keep input order.
    static func screenAll(_ items: [LabelledItem], ruleSet: RuleSet) -> [Verdict] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / 64 + 1))
        let chunk = (items.count + workers - 1) / workers
        // Each worker writes only its own slice of the buffer, so the unchecked sharing is race-free.
        struct Slots: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<Verdict?> }
        let slots = Slots(buffer: .allocate(capacity: items.count))
        slots.buffer.initialize(repeating: nil)
        defer { slots.buffer.deallocate() }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let screener = Screener(ruleSet: ruleSet)
            for i in (worker * chunk)..<min(items.count, (worker + 1) * chunk) {
                slots.buffer[i] = screener.screen(items[i].text)
            }
        }
        return slots.buffer.map { $0! }
    }

    private func writeVerdicts(_ items: [LabelledItem], _ verdicts: [Verdict], to path: String) throws {
        var out = JSONWriter(reservingCapacity: items.count * 128)
        var bytes: [UInt8] = []
        for (item, verdict) in zip(items, verdicts) {
            out = JSONWriter()
            out.beginObject()
            out.field("id", item.id)
            out.field("label", item.label?.rawValue)
            out.field("verdict", verdict.decision.rawValue)
            out.field("score", verdict.score)
            out.field("category", verdict.category?.id)
            out.beginArray(key: "rules")
            for hit in verdict.hits { out.value(hit.ruleID) }
            out.endArray()
            out.endObject()
            bytes.append(contentsOf: out.bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ToolFailure(message: "cannot write \(path)")
        }
    }
}

/// The terminal report of a replay.
struct ReplayReport {
    var metrics: CorpusMetrics
    var items: [LabelledItem]
    var verdicts: [Verdict]
    var ruleSet: RuleSet
    var elapsed: Duration
    var colour: Bool

    private func percent(_ x: Double) -> String { String(format: "%6.2f%%", x * 100) }

    func render() -> String {
        var out = ""
        let m = metrics
        out += "items \(m.total): fraud \(m.fraud), benign \(m.benign), unlabelled \(m.unlabelled)   rules version \(ruleSet.version)\n\n"
        out += "            precision   recall       F1      FP rate    TP    FP    TN    FN\n"
        for (name, c) in [("at warn ", m.atWarn), ("at block", m.atBlock)] {
            out += "  \(name)   \(percent(c.precision))  \(percent(c.recall))  \(percent(c.f1))  \(percent(c.falsePositiveRate))"
            out += String(format: "  %4d  %4d  %4d  %4d\n", c.truePositives, c.falsePositives, c.trueNegatives, c.falseNegatives)
        }
        out += "\nrecall per category (at warn):\n"
        for (category, entry) in m.categoryRecall.sorted(by: { $0.key < $1.key }) {
            let name = ruleSet.category(id: category)?.name ?? category
            out += "  \(category.padding(toLength: 26, withPad: " ", startingAt: 0)) \(percent(Double(entry.flagged) / Double(max(1, entry.items))))  \(entry.flagged)/\(entry.items)  \(name)\n"
        }
        out += "\nrules by hits (fraud / benign, S/O):\n"
        let ranked = m.rules.values.sorted { ($0.fraudHits + $0.benignHits, $0.ruleID) > ($1.fraudHits + $1.benignHits, $1.ruleID) }
        for (rank, r) in ranked.prefix(25).enumerated() {
            out += String(format: "  %3d  %5d / %-5d %5.2f  ", rank + 1, r.fraudHits, r.benignHits, r.spamRatio) + r.ruleID + "\n"
        }
        let never = ruleSet.rules.map(\.id).filter { m.rules[$0] == nil }
        out += "  rules that never hit: \(never.count)\(never.isEmpty ? "" : " — " + never.prefix(20).joined(separator: ", ") + (never.count > 20 ? ", …" : ""))\n"

        let misses = zip(items, verdicts).filter { $0.0.label == .fraud && $0.1.decision == .allow }
            .sorted { $0.1.score < $1.1.score }
        let falsePositives = zip(items, verdicts).filter { $0.0.label == .benign && $0.1.decision >= .warn }
            .sorted { $0.1.score > $1.1.score }
        out += "\nworst misses (\(misses.count)):\n"
        for (item, verdict) in misses.prefix(10) { out += describe(item, verdict) }
        out += "\nfalse positives (\(falsePositives.count)):\n"
        for (item, verdict) in falsePositives.prefix(10) { out += describe(item, verdict) }

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        out += String(format: "\nscreened %d items in %.3f s (%.0f items/s)\n", m.total, seconds, Double(m.total) / max(seconds, 1e-9))
        return out
    }

    private func describe(_ item: LabelledItem, _ verdict: Verdict) -> String {
        let text = item.text.count > 60 ? String(item.text.prefix(60)) + "…" : item.text
        let rules = verdict.hits.map { "\($0.ruleID)(\($0.score))" }.joined(separator: " ")
        return "  \(item.id) score \(verdict.score) \(verdict.decision.rawValue): \(text.replacingOccurrences(of: "\n", with: " "))\n"
            + (rules.isEmpty ? "" : "      hits: \(rules)\n")
    }
}
