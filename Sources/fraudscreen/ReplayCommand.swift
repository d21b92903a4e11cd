import ArgumentParser
import Foundation
import FraudScreenCore
import FraudScreenReplay

/// `fraudscreen replay`: a thin command over FraudScreenReplay (reading, screening on every core, the
/// report, the baseline diff, threshold advice and the JSON/HTML renderers live there).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Screen a labelled corpus and report detection quality (the rule author's workbench).",
        discussion: """
        Reads JSONL files or directories of them: corpus messages and transactions, and the daemon's reports log. \
        Bad lines are reported with file:line and skipped (fatal with --strict). With --baseline-rules, both rule \
        sets screen the same items and the report shows what changes. See docs/REPLAY.md.
        """
    )

    @OptionGroup var rules: RulesOptions

    @Option(name: .long, help: ArgumentHelp("Compare with this rule set: changed items, rule hit deltas, metric deltas.", valueName: "DIR"))
    var baselineRules: String?

    @Flag(name: .long, help: "Print the whole report as one JSON document (docs/REPLAY.md) instead of the terminal report.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Write a self-contained HTML report with charts to FILE.", valueName: "FILE"))
    var html: String?

    @Option(name: .long, help: ArgumentHelp("Write one JSONL line per item (id, verdict, score, category, rules) to FILE.", valueName: "FILE"))
    var verdicts: String?

    @Option(name: .long, help: ArgumentHelp("Fail (exit 1) when recall at warn is below R (0–1).", valueName: "R"))
    var failUnderRecall: Double?

    @Option(name: .long, help: ArgumentHelp("Fail (exit 1) when the false-positive rate at warn is above F (0–1).", valueName: "F"))
    var maxFalsePositiveRate: Double?

    @Option(name: .long, help: ArgumentHelp("Target false-positive rate for the advised warn threshold.", valueName: "F"))
    var targetFalsePositiveRate: Double = 0.01

    @Option(name: .long, help: ArgumentHelp("Target false-positive rate for the advised block threshold (default: a tenth of the warn target).", valueName: "F"))
    var targetBlockFalsePositiveRate: Double?

    @Option(name: .long, help: ArgumentHelp("Misses and false positives shown (and kept in --json).", valueName: "N"))
    var limit: Int = 10

    @Flag(name: .long, help: "Treat malformed input lines as fatal.")
    var strict = false

    @Argument(help: "Corpus JSONL files or directories.")
    var paths: [String]

    func validate() throws {
        for (name, value) in [("--fail-under-recall", failUnderRecall), ("--max-false-positive-rate", maxFalsePositiveRate),
                              ("--target-false-positive-rate", targetFalsePositiveRate), ("--target-block-false-positive-rate", targetBlockFalsePositiveRate)] {
            if let value, !(0...1).contains(value) { throw ValidationError("\(name) must be between 0 and 1") }
        }
        if limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() throws {
        let current = Replay.Rules(try rules.load(), directory: rules.rules ?? "rules")
        let baseline = try baselineRules.map { directory in
            do { return Replay.Rules(try RuleSetLoader.load(directory: directory), directory: directory) } catch let error as RuleSetError {
                throw ToolFailure(message: "baseline rule set rejected: \(error)")
            }
        }
        let input: Replay.Input
        do { input = try Replay.read(paths: paths) } catch let error as CorpusError { throw ToolFailure(message: error.message) }
        // Every remark about the input, in file and line order (a reader works down the file): lines skipped,
        // transactions screened by their text only, categories the rules lack (at most 20 of each kind of note).
        var remarks: [(file: String, line: Int, text: String)] = input.badLines.map { ($0.file, $0.line, "skipped \($0)") }
        let textOnly = input.items.filter { $0.transactionProblem != nil }
        remarks += textOnly.prefix(20).map { ($0.file, $0.line, "note \($0.source): transaction screened by its text fields only: \($0.transactionProblem!)") }
        // A labelled category the rules do not have (a typo, an old name) would show as a category never detected.
        let categories = Set(current.ruleSet.categories.map(\.id))
        let unknown = input.items.filter { item in item.category.map { !categories.contains($0) } ?? false }
        remarks += unknown.prefix(20).map { ($0.file, $0.line, "note \($0.source): category '\($0.category!)' is not a category of the rule set") }
        for remark in remarks.sorted(by: { ($0.file, $0.line) < ($1.file, $1.line) }) { FileOutput.standardError.write(remark.text + "\n") }
        if textOnly.count > 20 { FileOutput.standardError.write("note: \(textOnly.count - 20) more transactions screened by their text fields only\n") }
        if unknown.count > 20 { FileOutput.standardError.write("note: \(unknown.count - 20) more items with a category the rule set does not have\n") }
        if strict && !(input.badLines.isEmpty && unknown.isEmpty) {
            let problems = (input.badLines.isEmpty ? [] : ["\(input.badLines.count) malformed line(s)"])
                + (unknown.isEmpty ? [] : ["\(unknown.count) item(s) with an unknown category"])
            throw ToolFailure(message: problems.joined(separator: ", ") + " (--strict)", exitCode: 1)
        }

        var options = ReplayOptions()
        options.limit = limit
        options.targetFalsePositiveRate = targetFalsePositiveRate
        options.targetBlockFalsePositiveRate = targetBlockFalsePositiveRate
        let bar = ReplayProgressBar.onTerminal(total: input.items.count)
        let result = Replay.run(input, rules: current, baseline: baseline, options: options, progress: bar?.update)
        bar?.finish()

        if let verdicts {
            try FileOutput.write(VerdictsFile.render(items: input.items, verdicts: result.verdicts), toPath: verdicts)
        }
        if let html {
            try FileOutput.write(Array(ReplayHTML(report: result.report).render().utf8), toPath: html)
        }
        if json {
            FileOutput.standardOutput.write(ReplayJSON.render(result.report) + "\n")
        } else {
            FileOutput.standardOutput.write(ReplayText(report: result.report, colour: FileOutput.colourOutput).render())
        }

        let failures = ReplayGate(minRecall: failUnderRecall, maxFalsePositiveRate: maxFalsePositiveRate).failures(result.report)
        if !failures.isEmpty { throw ToolFailure(message: "gate failed: " + failures.joined(separator: "; "), exitCode: 1) }
    }
}
