import Foundation
import FraudScreenCore

/// A replay from corpus files to report: read, screen with the rule set (and the baseline), measure.
public enum Replay {
    /// The corpus as read.
    public struct Input: Sendable {
        public var paths: [String]
        public var files: [String]
        public var items: [LabelledItem]
        public var badLines: [CorpusReader.BadLine]
        /// Seconds spent reading and parsing.
        public var seconds: Double = 0
    }

    /// A rule set and where it came from.
    public struct Rules: Sendable {
        public var ruleSet: RuleSet
        public var directory: String

        public init(_ ruleSet: RuleSet, directory: String) {
            self.ruleSet = ruleSet
            self.directory = directory
        }
    }

    public struct Result: Sendable {
        public var report: ReplayReport
        /// The verdicts of the (new) rule set, in input order.
        public var verdicts: [Verdict]
    }

    /// Reads corpus files and directories (throws `CorpusError` for a path that does not exist).
    public static func read(paths: [String]) throws -> Input {
        let clock = ContinuousClock()
        let start = clock.now
        let files = try CorpusReader.jsonlFiles(paths)
        let (items, bad) = CorpusReader.read(files: files)
        return Input(paths: paths, files: files, items: items, badLines: bad, seconds: (clock.now - start).seconds)
    }

    /// Screens the input with `rules` (and `baseline`, for the diff) on every core and builds the report.
    /// `progress(phase, done, total)` reports screening ("screening", then "baseline").
    public static func run(_ input: Input, rules: Rules, baseline: Rules? = nil, options: ReplayOptions = ReplayOptions(),
                           workers: Int? = nil, progress: (@Sendable (String, Int, Int) -> Void)? = nil) -> Result {
        func phase(_ name: String) -> (@Sendable (Int, Int) -> Void)? {
            guard let progress else { return nil }
            return { done, total in progress(name, done, total) }
        }
        let run = ReplayRun.screen(input.items, ruleSet: rules.ruleSet, directory: rules.directory, workers: workers,
                                   progress: phase("screening"))
        var base: ReplayRun?
        if let baseline {
            base = ReplayRun.screen(input.items, ruleSet: baseline.ruleSet, directory: baseline.directory, workers: workers,
                                    progress: phase("baseline"))
        }
        let report = ReplayReport(items: input.items, run: run, baseline: base, inputs: input.paths, files: input.files.count,
                                  malformed: input.badLines, readSeconds: input.seconds, options: options)
        return Result(report: report, verdicts: run.verdicts)
    }
}

/// `--fail-under-recall` / `--max-false-positive-rate`: the figures at warn that make a replay a CI gate.
public struct ReplayGate: Sendable {
    public var minRecall: Double?
    public var maxFalsePositiveRate: Double?

    public init(minRecall: Double? = nil, maxFalsePositiveRate: Double? = nil) {
        self.minRecall = minRecall
        self.maxFalsePositiveRate = maxFalsePositiveRate
    }

    /// One message per failed condition; empty when the report passes.
    public func failures(_ report: ReplayReport) -> [String] {
        var failures: [String] = []
        if let floor = minRecall, report.atWarn.recall < floor {
            failures.append(String(format: "recall %.4f is under %.4f", report.atWarn.recall, floor))
        }
        if let ceiling = maxFalsePositiveRate, report.atWarn.falsePositiveRate > ceiling {
            failures.append(String(format: "false-positive rate %.4f is over %.4f", report.atWarn.falsePositiveRate, ceiling))
        }
        return failures
    }
}
