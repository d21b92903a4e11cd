import Foundation
import FraudScreenCore

/// Everything a replay found, computed once; the terminal, JSON and HTML renderers only format it.
/// The JSON schema (docs/REPLAY.md) mirrors these types.
public struct ReplayReport: Sendable {
    /// The rule set a run used.
    public struct RuleSetInfo: Sendable {
        public var directory: String
        public var version: String
        public var ruleCount: Int
        public var thresholds: Thresholds
        /// Thresholds of the categories that have their own (advice and curves use the rule set's).
        public var categoryThresholds: [(category: String, thresholds: Thresholds)]
        public var categoriesWithOwnThresholds: [String] { categoryThresholds.map(\.category) }
    }

    public struct Counts: Sendable, Equatable {
        public var total = 0
        public var fraud = 0
        public var benign = 0
        public var unlabelled = 0
        public var messages = 0
        public var transactions = 0
        /// Transactions the engine's validation rejected, screened by their text fields only.
        public var textOnlyTransactions = 0
        public var files = 0
        public var malformed = 0
        public var allow = 0
        public var warn = 0
        public var block = 0
    }

    /// Recall of one labelled fraud category.
    public struct CategoryRow: Sendable, Equatable {
        public var id: String
        public var name: String
        public var counts: CorpusMetrics.CategoryCounts
        public var recall: Double { counts.recall }
        public var blockRecall: Double { counts.items == 0 ? 0 : Double(counts.blocked) / Double(counts.items) }
        /// Share of the category's items flagged under the right category.
        public var categoryAccuracy: Double { counts.items == 0 ? 0 : Double(counts.rightCategory) / Double(counts.items) }
    }

    /// Labelled category (rows: fraud categories, then "benign") × predicted category at warn (columns:
    /// categories, then "allow").
    public struct CategoryConfusion: Sendable, Equatable {
        public var rows: [String]
        public var columns: [String]
        public var counts: [[Int]]

        public func count(_ row: String, _ column: String) -> Int {
            guard let r = rows.firstIndex(of: row), let c = columns.firstIndex(of: column) else { return 0 }
            return counts[r][c]
        }
    }

    /// One rule's hit frequencies.
    public struct RuleRow: Sendable, Equatable {
        public var id: String
        public var category: String
        public var score: Int
        public var description: String
        public var fraudHits: Int
        public var benignHits: Int
        public var unlabelledHits: Int
        /// Share of the labelled fraud items the rule hit.
        public var fraudRate: Double
        /// Share of the labelled benign items the rule hit.
        public var benignRate: Double
        /// fraudHits / (fraudHits + benignHits); 0 without labelled hits.
        public var soRatio: Double
        /// Lower bound of the 95% Wilson interval of the share of labelled hits the rule points the right way
        /// (fraud for a positive score, benign for a negative one, which is S/O or 1 − S/O): what `rank` orders by.
        public var rankScore: Double
        /// 1 = the rule whose hits point the right way most reliably. Rules with labelled hits are ranked by
        /// `rankScore`, then fraud hits, then id; rules hit only on unlabelled items come last.
        public var rank: Int
    }

    /// A screened item worth showing: a miss, a false positive, or a changed verdict.
    public struct Example: Sendable {
        public var item: LabelledItem
        public var verdict: Verdict
    }

    /// Score histogram of labelled items: bins of `width` starting at 0 (`[lower, lower + width)`).
    public struct Histogram: Sendable, Equatable {
        public struct Bin: Sendable, Equatable {
            public var lower: Int
            public var fraud: Int
            public var benign: Int
        }
        public var width: Int
        public var bins: [Bin]
    }

    /// Confusion when an item is flagged iff its verdict score ≥ `threshold`.
    public struct ThresholdPoint: Sendable, Equatable {
        public var threshold: Int
        public var confusion: CorpusMetrics.Confusion
    }

    /// The threshold that maximises recall with a false-positive rate within `target`.
    public struct Advice: Sendable, Equatable {
        public var level: Verdict.Decision
        public var target: Double
        public var threshold: Int
        public var confusion: CorpusMetrics.Confusion
        /// The rule set's current threshold for the level, and its figures by the same score rule.
        public var current: Int
        public var currentConfusion: CorpusMetrics.Confusion
    }

    public struct ThresholdAdvice: Sendable, Equatable {
        public var warn: Advice
        public var block: Advice
        /// The best threshold for a range of targets (0, 0.1%, 0.5%, 1%, 2%, 5%, 10%).
        public var table: [Advice]
    }

    public struct Throughput: Sendable, Equatable {
        public var items: Int
        public var seconds: Double
        public var workers: Int
        /// Reading and parsing the input (0 when not measured).
        public var readSeconds: Double = 0
        public var itemsPerSecond: Double { seconds > 0 ? Double(items) / seconds : 0 }
    }

    public var generated: Date
    public var inputs: [String]
    public var ruleSet: RuleSetInfo
    public var counts: Counts
    public var atWarn: CorpusMetrics.Confusion
    public var atBlock: CorpusMetrics.Confusion
    public var categories: [CategoryRow]
    public var categoryConfusion: CategoryConfusion
    /// Every rule that hit, in rank order.
    public var rules: [RuleRow]
    /// Rules of the set that hit nothing (labelled or not), by id.
    public var neverHit: [String]
    /// Fraud allowed, lowest score first (at most `limit` of `missCount`).
    public var worstMisses: [Example]
    public var missCount: Int
    /// Benign warned or blocked, highest score first (at most `limit` of `falsePositiveCount`).
    public var falsePositives: [Example]
    public var falsePositiveCount: Int
    public var histogram: Histogram
    /// One point per distinct outcome: thresholds 1 and s + 1 for every distinct labelled score s.
    public var curve: [ThresholdPoint]
    public var advice: ThresholdAdvice
    public var throughput: Throughput
    public var malformed: [CorpusReader.BadLine]
    public var diff: ReplayDiff?
}

/// One screened corpus under one rule set.
public struct ReplayRun: Sendable {
    public var ruleSet: RuleSet
    public var directory: String
    public var verdicts: [Verdict]
    public var metrics: CorpusMetrics
    public var seconds: Double
    public var workers: Int

    /// Screens `items` on every core and measures it.
    public static func screen(_ items: [LabelledItem], ruleSet: RuleSet, directory: String, workers: Int? = nil,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) -> ReplayRun {
        let clock = ContinuousClock()
        let start = clock.now
        let (verdicts, used) = ParallelScreening.screen(items, ruleSet: ruleSet, workers: workers, progress: progress)
        let elapsed = clock.now - start
        var metrics = CorpusMetrics()
        for (item, verdict) in zip(items, verdicts) { metrics.add(item, verdict) }
        return ReplayRun(ruleSet: ruleSet, directory: directory, verdicts: verdicts, metrics: metrics,
                         seconds: elapsed.seconds, workers: used)
    }

    var info: ReplayReport.RuleSetInfo {
        ReplayReport.RuleSetInfo(directory: directory, version: ruleSet.version, ruleCount: ruleSet.rules.count,
                                 thresholds: ruleSet.settings.thresholds,
                                 categoryThresholds: ruleSet.categories.compactMap { c in c.thresholds.map { (c.id, $0) } })
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Options of the report (what the command line sets).
public struct ReplayOptions: Sendable {
    /// Examples shown per list (misses, false positives, changes) in the terminal and HTML reports; JSON has
    /// every changed item and `limit` misses and false positives.
    public var limit = 10
    /// Target false-positive rate for the advised warn threshold.
    public var targetFalsePositiveRate = 0.01
    /// Target false-positive rate for the advised block threshold (default: a tenth of the warn target).
    public var targetBlockFalsePositiveRate: Double?
    /// Histogram bin width (default: chosen from the highest score, ~20–40 bins).
    public var histogramBinWidth: Int?

    public init() {}

    static let adviceTable: [Double] = [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1]
}

extension ReplayReport {
    /// Builds the report of `run` over `items` (and the diff against `baseline`, screened over the same items).
    public init(items: [LabelledItem], run: ReplayRun, baseline: ReplayRun? = nil, inputs: [String] = [], files: Int = 0,
                malformed: [CorpusReader.BadLine] = [], readSeconds: Double = 0, options: ReplayOptions = ReplayOptions(), generated: Date = Date()) {
        let m = run.metrics
        let ruleSet = run.ruleSet
        self.generated = generated
        self.inputs = inputs
        self.ruleSet = run.info
        self.malformed = malformed

        var counts = Counts()
        counts.total = m.total
        counts.fraud = m.fraud
        counts.benign = m.benign
        counts.unlabelled = m.unlabelled
        counts.messages = items.count { $0.kind == .message }
        counts.transactions = items.count { $0.kind == .transaction }
        counts.textOnlyTransactions = items.count { $0.kind == .transaction && $0.transaction == nil }
        counts.files = files
        counts.malformed = malformed.count
        counts.allow = m.decisions[.allow] ?? 0
        counts.warn = m.decisions[.warn] ?? 0
        counts.block = m.decisions[.block] ?? 0
        self.counts = counts
        atWarn = m.atWarn
        atBlock = m.atBlock

        categories = ReplayReport.categoryRows(m, ruleSet)
        categoryConfusion = ReplayReport.categoryConfusion(m, ruleSet)
        rules = ReplayReport.ruleRows(m, ruleSet)
        let hit = Set(m.rules.keys)
        neverHit = ruleSet.rules.map(\.id).filter { !hit.contains($0) }.sorted()

        var misses: [Example] = [], falsePositives: [Example] = []
        for (item, verdict) in zip(items, run.verdicts) {
            if item.label == .fraud && verdict.decision == .allow { misses.append(Example(item: item, verdict: verdict)) }
            if item.label == .benign && verdict.decision >= .warn { falsePositives.append(Example(item: item, verdict: verdict)) }
        }
        missCount = misses.count
        falsePositiveCount = falsePositives.count
        worstMisses = Array(misses.sorted { ($0.verdict.score, $0.item.id) < ($1.verdict.score, $1.item.id) }.prefix(options.limit))
        self.falsePositives = Array(falsePositives.sorted {
            ($0.verdict.score, $1.item.id) > ($1.verdict.score, $0.item.id)
        }.prefix(options.limit))

        let scored = ScoreAnalysis(items: items, verdicts: run.verdicts)
        histogram = scored.histogram(width: options.histogramBinWidth)
        curve = scored.curve()
        advice = scored.advice(options: options, thresholds: ruleSet.settings.thresholds)
        throughput = Throughput(items: m.total, seconds: run.seconds, workers: run.workers, readSeconds: readSeconds)
        diff = baseline.map { ReplayDiff(items: items, baseline: $0, current: run, options: options) }
    }

    static func categoryRows(_ m: CorpusMetrics, _ ruleSet: RuleSet) -> [CategoryRow] {
        // The rule set's categories in its order (those with labelled items), then labelled categories it lacks.
        var order = ruleSet.categories.map(\.id).filter { m.categories[$0] != nil }
        order += m.categories.keys.filter { ruleSet.category(id: $0) == nil }.sorted()
        return order.map { id in
            CategoryRow(id: id, name: ruleSet.category(id: id)?.name ?? id, counts: m.categories[id] ?? .init())
        }
    }

    static func categoryConfusion(_ m: CorpusMetrics, _ ruleSet: RuleSet) -> CategoryConfusion {
        let known = ruleSet.categories.map(\.id)
        var rows = known.filter { m.categoryConfusion[$0] != nil }
        rows += m.categoryConfusion.keys.filter { $0 != "benign" && !known.contains($0) }.sorted()
        if m.categoryConfusion["benign"] != nil { rows.append("benign") }
        var predicted = Set<String>()
        for row in m.categoryConfusion.values { predicted.formUnion(row.keys) }
        var columns = known.filter { predicted.contains($0) }
        columns += predicted.filter { $0 != "allow" && !known.contains($0) }.sorted()
        if predicted.contains("allow") { columns.append("allow") }
        let counts = rows.map { row in columns.map { m.categoryConfusion[row]?[$0] ?? 0 } }
        return CategoryConfusion(rows: rows, columns: columns, counts: counts)
    }

    /// Lower bound of the Wilson score interval (95%) for `successes` of `n`.
    public static func wilsonLowerBound(_ successes: Int, _ n: Int) -> Double {
        guard n > 0 else { return 0 }
        let z = 1.959963984540054, nn = Double(n), p = Double(successes) / nn
        let centre = p + z * z / (2 * nn)
        let margin = z * ((p * (1 - p) + z * z / (4 * nn)) / nn).squareRoot()
        return (centre - margin) / (1 + z * z / nn)
    }

    static func ruleRows(_ m: CorpusMetrics, _ ruleSet: RuleSet) -> [RuleRow] {
        var rows: [RuleRow] = m.rules.values.map { f in
            let rule = ruleSet.rule(id: f.ruleID)
            let labelled = f.fraudHits + f.benignHits
            return RuleRow(id: f.ruleID, category: rule?.definition.category ?? "", score: rule?.score ?? 0,
                           description: rule?.definition.description ?? "",
                           fraudHits: f.fraudHits, benignHits: f.benignHits, unlabelledHits: f.unlabelledHits,
                           fraudRate: m.fraud == 0 ? 0 : Double(f.fraudHits) / Double(m.fraud),
                           benignRate: m.benign == 0 ? 0 : Double(f.benignHits) / Double(m.benign),
                           soRatio: f.spamRatio, rankScore: wilsonLowerBound((rule?.score ?? 1) < 0 ? f.benignHits : f.fraudHits, labelled), rank: 0)
        }
        rows.sort { a, b in
            let al = a.fraudHits + a.benignHits > 0, bl = b.fraudHits + b.benignHits > 0
            if al != bl { return al }
            if a.rankScore != b.rankScore { return a.rankScore > b.rankScore }
            if a.fraudHits != b.fraudHits { return a.fraudHits > b.fraudHits }
            return a.id < b.id
        }
        for i in rows.indices { rows[i].rank = i + 1 }
        return rows
    }
}
