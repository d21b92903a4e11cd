import FraudScreenCore

/// What a rule change does: the same items screened by the baseline rule set and by the new one.
public struct ReplayDiff: Sendable {
    /// An item whose decision changed, or whose category changed while it was flagged under both rule sets.
    public struct Change: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            /// A labelled item that is now decided right (fraud now flagged, benign now allowed).
            case fixed
            /// A labelled item that is now decided wrong.
            case broken
            /// Anything else: warn ↔ block, a category change, an unlabelled item.
            case changed
        }
        public var kind: Kind
        public var item: LabelledItem
        public var before: Verdict
        public var after: Verdict
    }

    /// Hits of one rule before and after (a rule only in one set has zeros on the other side).
    public struct RuleDelta: Sendable, Equatable {
        public enum Status: String, Sendable { case added, removed, changed }
        public var id: String
        public var status: Status
        public var fraudBefore: Int
        public var benignBefore: Int
        public var fraudAfter: Int
        public var benignAfter: Int
        public var unlabelledBefore = 0
        public var unlabelledAfter = 0
        /// The rule's score (in the new set, or the baseline's for a removed rule): a negative rule's benign
        /// hits are wanted.
        public var score = 0
        public var fraudDelta: Int { fraudAfter - fraudBefore }
        public var benignDelta: Int { benignAfter - benignBefore }
    }

    public struct MetricDelta: Sendable, Equatable {
        public var name: String
        public var before: Double
        public var after: Double
        public var delta: Double { after - before }
    }

    public struct CategoryDelta: Sendable, Equatable {
        public var id: String
        public var name: String
        public var recallBefore: Double
        public var recallAfter: Double
    }

    public var baseline: ReplayReport.RuleSetInfo
    /// The new rule set (the report's own).
    public var current: ReplayReport.RuleSetInfo
    public var baselineAtWarn: CorpusMetrics.Confusion
    public var baselineAtBlock: CorpusMetrics.Confusion
    /// precision/recall/F1/false-positive rate at warn and at block (names like `recall_at_warn`).
    public var metrics: [MetricDelta]
    /// Categories whose recall changed.
    public var categories: [CategoryDelta]
    /// Every changed item: broken first, then fixed, then changed; by id within each.
    public var changes: [Change]
    /// Rules whose labelled or unlabelled hit counts changed, or that only one set has; by |Δ| then id.
    public var rules: [RuleDelta]
    public var baselineThroughput: ReplayReport.Throughput

    public func count(_ kind: Change.Kind) -> Int { changes.count { $0.kind == kind } }

    init(items: [LabelledItem], baseline: ReplayRun, current: ReplayRun, options: ReplayOptions) {
        self.baseline = baseline.info
        self.current = current.info
        let before = baseline.metrics, after = current.metrics
        baselineAtWarn = before.atWarn
        baselineAtBlock = before.atBlock
        baselineThroughput = ReplayReport.Throughput(items: before.total, seconds: baseline.seconds, workers: baseline.workers)

        var metrics: [MetricDelta] = []
        for (level, b, a) in [("warn", before.atWarn, after.atWarn), ("block", before.atBlock, after.atBlock)] {
            metrics.append(MetricDelta(name: "precision_at_\(level)", before: b.precision, after: a.precision))
            metrics.append(MetricDelta(name: "recall_at_\(level)", before: b.recall, after: a.recall))
            metrics.append(MetricDelta(name: "f1_at_\(level)", before: b.f1, after: a.f1))
            metrics.append(MetricDelta(name: "false_positive_rate_at_\(level)", before: b.falsePositiveRate, after: a.falsePositiveRate))
        }
        self.metrics = metrics

        var categories: [CategoryDelta] = []
        let ids = Set(before.categories.keys).union(after.categories.keys)
        let order = current.ruleSet.categories.map(\.id).filter { ids.contains($0) }
            + ids.filter { current.ruleSet.category(id: $0) == nil }.sorted()
        for id in order {
            let b = before.categories[id]?.recall ?? 0, a = after.categories[id]?.recall ?? 0
            if b != a {
                let name = current.ruleSet.category(id: id)?.name ?? baseline.ruleSet.category(id: id)?.name ?? id
                categories.append(CategoryDelta(id: id, name: name, recallBefore: b, recallAfter: a))
            }
        }
        self.categories = categories

        var changes: [Change] = []
        for (i, item) in items.enumerated() {
            let b = baseline.verdicts[i], a = current.verdicts[i]
            let categoryChanged = b.decision >= .warn && a.decision >= .warn && b.category?.id != a.category?.id
            guard b.decision != a.decision || categoryChanged else { continue }
            changes.append(Change(kind: ReplayDiff.kind(item.label, b, a), item: item, before: b, after: a))
        }
        let rank: [Change.Kind: Int] = [.broken: 0, .fixed: 1, .changed: 2]
        changes.sort { (rank[$0.kind]!, $0.item.id, $0.item.source) < (rank[$1.kind]!, $1.item.id, $1.item.source) }
        self.changes = changes

        var rules: [RuleDelta] = []
        let beforeIDs = Set(baseline.ruleSet.rules.map(\.id)), afterIDs = Set(current.ruleSet.rules.map(\.id))
        for id in beforeIDs.union(afterIDs) {
            let b = before.rules[id], a = after.rules[id]
            let status: RuleDelta.Status = !beforeIDs.contains(id) ? .added : !afterIDs.contains(id) ? .removed : .changed
            let same = b?.fraudHits == a?.fraudHits && b?.benignHits == a?.benignHits && b?.unlabelledHits == a?.unlabelledHits
            if status == .changed && same { continue }
            rules.append(RuleDelta(id: id, status: status, fraudBefore: b?.fraudHits ?? 0, benignBefore: b?.benignHits ?? 0,
                                   fraudAfter: a?.fraudHits ?? 0, benignAfter: a?.benignHits ?? 0,
                                   unlabelledBefore: b?.unlabelledHits ?? 0, unlabelledAfter: a?.unlabelledHits ?? 0,
                                   score: (current.ruleSet.rule(id: id) ?? baseline.ruleSet.rule(id: id))?.score ?? 0))
        }
        rules.sort {
            let x = abs($0.fraudDelta) + abs($0.benignDelta) + abs($0.unlabelledAfter - $0.unlabelledBefore)
            let y = abs($1.fraudDelta) + abs($1.benignDelta) + abs($1.unlabelledAfter - $1.unlabelledBefore)
            return x != y ? x > y : $0.id < $1.id
        }
        self.rules = rules
    }

    /// "thresholds: warn 45 → 40; romance_scam: warn 40 → 20, block 80 → 60" when the rule sets' thresholds
    /// differ, the rule set's or a category's own (a category without its own is shown with the rule set's).
    /// A verdict that changed with no hit changed is explained by this line.
    public static func thresholdChange(_ before: ReplayReport.RuleSetInfo, _ after: ReplayReport.RuleSetInfo) -> String? {
        func change(_ a: Thresholds, _ b: Thresholds) -> String? {
            var parts: [String] = []
            if a.warn != b.warn { parts.append("warn \(a.warn) → \(b.warn)") }
            if a.block != b.block { parts.append("block \(a.block) → \(b.block)") }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
        var changes: [String] = []
        if let overall = change(before.thresholds, after.thresholds) { changes.append(overall) }
        let old = Dictionary(before.categoryThresholds, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.categoryThresholds, uniquingKeysWith: { a, _ in a })
        for category in Set(old.keys).union(new.keys).sorted() {
            let a = old[category], b = new[category]
            guard a != b, let moved = change(a ?? before.thresholds, b ?? after.thresholds) else { continue }
            let own = a == nil ? " (now its own)" : b == nil ? " (now the rule set's)" : ""
            changes.append("\(category)\(own): \(moved)")
        }
        return changes.isEmpty ? nil : "thresholds: " + changes.joined(separator: "; ")
    }

    static func kind(_ label: LabelledItem.Label?, _ before: Verdict, _ after: Verdict) -> Change.Kind {
        guard let label else { return .changed }
        let rightBefore = (before.decision >= .warn) == (label == .fraud)
        let rightAfter = (after.decision >= .warn) == (label == .fraud)
        if rightBefore == rightAfter { return .changed }
        return rightAfter ? .fixed : .broken
    }
}
