/// Detection quality of a rule set over labelled items: confusion at a decision level, per-category recall
/// and per-rule hit frequencies. Unlabelled items are counted but left out of every rate.
public struct CorpusMetrics: Sendable {
    /// Counts when "flagged" means a decision at or above some level (warn, or block).
    public struct Confusion: Sendable, Equatable {
        public var truePositives = 0
        public var falsePositives = 0
        public var trueNegatives = 0
        public var falseNegatives = 0

        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        public var falsePositiveRate: Double { ratio(falsePositives, falsePositives + trueNegatives) }
        public var f1: Double {
            let p = precision, r = recall
            return p + r == 0 ? 0 : 2 * p * r / (p + r)
        }

        private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
    }

    public struct RuleFrequency: Sendable {
        public var ruleID: String
        public var fraudHits = 0
        public var benignHits = 0
        /// Share of the rule's labelled hits that were on fraud (SpamAssassin's S/O).
        public var spamRatio: Double {
            fraudHits + benignHits == 0 ? 0 : Double(fraudHits) / Double(fraudHits + benignHits)
        }
    }

    public var total = 0
    public var fraud = 0
    public var benign = 0
    public var unlabelled = 0
    public var atWarn = Confusion()
    public var atBlock = Confusion()
    /// Labelled fraud category → (items, flagged at warn or above).
    public var categoryRecall: [String: (items: Int, flagged: Int)] = [:]
    /// Labelled category (or "benign") → predicted category (or "allow") → count.
    public var categoryConfusion: [String: [String: Int]] = [:]
    public var rules: [String: RuleFrequency] = [:]

    public init() {}

    /// Adds one screened item.
    public mutating func add(_ item: LabelledItem, _ verdict: Verdict) {
        total += 1
        guard let label = item.label else { unlabelled += 1; return }
        let isFraud = label == .fraud
        if isFraud { fraud += 1 } else { benign += 1 }
        CorpusMetrics.count(&atWarn, fraud: isFraud, flagged: verdict.decision >= .warn)
        CorpusMetrics.count(&atBlock, fraud: isFraud, flagged: verdict.decision >= .block)
        let predicted = verdict.decision >= .warn ? (verdict.category?.id ?? "allow") : "allow"
        let labelled = isFraud ? (item.category ?? "fraud") : "benign"
        categoryConfusion[labelled, default: [:]][predicted, default: 0] += 1
        if isFraud {
            var entry = categoryRecall[labelled] ?? (0, 0)
            entry.items += 1
            if verdict.decision >= .warn { entry.flagged += 1 }
            categoryRecall[labelled] = entry
        }
        for hit in verdict.hits {
            var frequency = rules[hit.ruleID] ?? RuleFrequency(ruleID: hit.ruleID)
            if isFraud { frequency.fraudHits += 1 } else { frequency.benignHits += 1 }
            rules[hit.ruleID] = frequency
        }
    }

    private static func count(_ confusion: inout Confusion, fraud: Bool, flagged: Bool) {
        switch (fraud, flagged) {
        case (true, true): confusion.truePositives += 1
        case (true, false): confusion.falseNegatives += 1
        case (false, true): confusion.falsePositives += 1
        case (false, false): confusion.trueNegatives += 1
        }
    }
}
