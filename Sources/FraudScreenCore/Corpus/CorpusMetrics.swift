/// Detection quality of a rule set over labelled items: confusion at a decision level, per-category recall
/// and category confusion, and per-rule hit frequencies. Unlabelled items are counted (and their rule hits
/// and decisions too) but left out of every rate.
public struct CorpusMetrics: Sendable {
    /// Counts when "flagged" means a decision at or above some level (warn, or block).
    public struct Confusion: Sendable, Equatable {
        public var truePositives = 0
        public var falsePositives = 0
        public var trueNegatives = 0
        public var falseNegatives = 0

        public init(truePositives: Int = 0, falsePositives: Int = 0, trueNegatives: Int = 0, falseNegatives: Int = 0) {
            self.truePositives = truePositives
            self.falsePositives = falsePositives
            self.trueNegatives = trueNegatives
            self.falseNegatives = falseNegatives
        }

        /// TP / (TP + FP); 0 when nothing was flagged.
        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        /// TP / (TP + FN); 0 without fraud.
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        /// FP / (FP + TN); 0 without benign items.
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
        public var unlabelledHits = 0

        public init(ruleID: String) { self.ruleID = ruleID }

        /// Share of the rule's labelled hits that were on fraud (SpamAssassin's S/O); 0 without labelled hits.
        public var spamRatio: Double {
            fraudHits + benignHits == 0 ? 0 : Double(fraudHits) / Double(fraudHits + benignHits)
        }
    }

    /// Labelled fraud of one category (items without a category count under "fraud").
    public struct CategoryCounts: Sendable, Equatable {
        public var items = 0
        /// Decision warn or block.
        public var warned = 0
        public var blocked = 0
        /// Warned or blocked AND the verdict named the labelled category.
        public var rightCategory = 0

        public init() {}

        public var recall: Double { items == 0 ? 0 : Double(warned) / Double(items) }
    }

    public var total = 0
    public var fraud = 0
    public var benign = 0
    public var unlabelled = 0
    /// Decisions over every item, labelled or not.
    public var decisions: [Verdict.Decision: Int] = [:]
    public var atWarn = Confusion()
    public var atBlock = Confusion()
    /// Labelled fraud category → (items, flagged at warn or above).
    public var categoryRecall: [String: (items: Int, flagged: Int)] = [:]
    /// Labelled fraud category → counts at both levels.
    public var categories: [String: CategoryCounts] = [:]
    /// Labelled category (or "benign") → predicted category (or "allow") → count.
    public var categoryConfusion: [String: [String: Int]] = [:]
    public var rules: [String: RuleFrequency] = [:]

    public init() {}

    /// Adds one screened item.
    public mutating func add(_ item: LabelledItem, _ verdict: Verdict) {
        total += 1
        decisions[verdict.decision, default: 0] += 1
        guard let label = item.label else {
            unlabelled += 1
            for hit in verdict.hits { rules[hit.ruleID, default: RuleFrequency(ruleID: hit.ruleID)].unlabelledHits += 1 }
            return
        }
        let isFraud = label == .fraud
        if isFraud { fraud += 1 } else { benign += 1 }
        let warned = verdict.decision >= .warn
        CorpusMetrics.count(&atWarn, fraud: isFraud, flagged: warned)
        CorpusMetrics.count(&atBlock, fraud: isFraud, flagged: verdict.decision >= .block)
        let predicted = warned ? (verdict.category?.id ?? "allow") : "allow"
        let labelled = isFraud ? (item.category ?? "fraud") : "benign"
        categoryConfusion[labelled, default: [:]][predicted, default: 0] += 1
        if isFraud {
            var entry = categoryRecall[labelled] ?? (0, 0)
            entry.items += 1
            if warned { entry.flagged += 1 }
            categoryRecall[labelled] = entry
            var counts = categories[labelled] ?? CategoryCounts()
            counts.items += 1
            if warned { counts.warned += 1 }
            if verdict.decision >= .block { counts.blocked += 1 }
            if warned && predicted == labelled { counts.rightCategory += 1 }
            categories[labelled] = counts
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
