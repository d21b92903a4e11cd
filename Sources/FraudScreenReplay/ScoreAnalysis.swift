import FraudScreenCore

/// Score distributions of the labelled items: histograms, the precision/recall-vs-threshold curve and
/// threshold advice. An item counts as flagged at threshold t when its verdict score (its top category's
/// score) is ≥ t — exactly the decision the rule set's own thresholds make, unless a category overrides them.
struct ScoreAnalysis {
    /// Sorted ascending.
    let fraudScores: [Int]
    let benignScores: [Int]

    init(items: [LabelledItem], verdicts: [Verdict]) {
        var fraud: [Int] = [], benign: [Int] = []
        for (item, verdict) in zip(items, verdicts) {
            switch item.label {
            case .fraud: fraud.append(verdict.score)
            case .benign: benign.append(verdict.score)
            case nil: break
            }
        }
        fraudScores = fraud.sorted()
        benignScores = benign.sorted()
    }

    init(fraudScores: [Int], benignScores: [Int]) {
        self.fraudScores = fraudScores.sorted()
        self.benignScores = benignScores.sorted()
    }

    /// How many of the sorted `scores` are ≥ t.
    private func countAtOrAbove(_ scores: [Int], _ t: Int) -> Int {
        var low = 0, high = scores.count
        while low < high {
            let mid = (low + high) / 2
            if scores[mid] < t { low = mid + 1 } else { high = mid }
        }
        return scores.count - low
    }

    func confusion(at threshold: Int) -> CorpusMetrics.Confusion {
        let tp = countAtOrAbove(fraudScores, threshold), fp = countAtOrAbove(benignScores, threshold)
        return CorpusMetrics.Confusion(truePositives: tp, falsePositives: fp, trueNegatives: benignScores.count - fp,
                                       falseNegatives: fraudScores.count - tp)
    }

    var maxScore: Int { max(fraudScores.last ?? 0, benignScores.last ?? 0) }

    /// Every threshold where the outcome changes: 1 and s + 1 for each distinct score s (ascending).
    var candidateThresholds: [Int] {
        var set = Set([1])
        for s in fraudScores where s >= 1 { set.insert(s + 1) }
        for s in benignScores where s >= 1 { set.insert(s + 1) }
        return set.sorted()
    }

    func curve() -> [ReplayReport.ThresholdPoint] {
        candidateThresholds.map { ReplayReport.ThresholdPoint(threshold: $0, confusion: confusion(at: $0)) }
    }

    /// A bin width from 1-2-5 steps giving at most 40 bins up to the highest score.
    static func binWidth(maxScore: Int) -> Int {
        var magnitude = 1
        while true {
            for step in [1, 2, 5] where (maxScore + 1 + step * magnitude - 1) / (step * magnitude) <= 40 {
                return step * magnitude
            }
            magnitude *= 10
        }
    }

    func histogram(width requested: Int?) -> ReplayReport.Histogram {
        let width = max(1, requested ?? ScoreAnalysis.binWidth(maxScore: maxScore))
        let binCount = maxScore / width + 1
        var bins = (0..<binCount).map { ReplayReport.Histogram.Bin(lower: $0 * width, fraud: 0, benign: 0) }
        // Scores are never negative (category scores are clamped at 0), but be safe.
        for s in fraudScores { bins[max(0, s) / width].fraud += 1 }
        for s in benignScores { bins[max(0, s) / width].benign += 1 }
        return ReplayReport.Histogram(width: width, bins: bins)
    }

    /// The threshold with the highest recall whose false-positive rate is within `target`; among those, the
    /// fewest false positives; among those, the lowest threshold. Never below `minimum`.
    func best(target: Double, minimum: Int = 1) -> (threshold: Int, confusion: CorpusMetrics.Confusion) {
        var best: (threshold: Int, confusion: CorpusMetrics.Confusion)?
        let candidates = Set(candidateThresholds.filter { $0 > minimum } + [minimum]).sorted()
        for t in candidates {
            let c = confusion(at: t)
            // A tiny tolerance so a target of exactly k/n admits k false positives despite rounding.
            guard c.falsePositiveRate <= target + 1e-12 else { continue }
            if let current = best {
                let better = c.truePositives > current.confusion.truePositives
                    || (c.truePositives == current.confusion.truePositives && c.falsePositives < current.confusion.falsePositives)
                if !better { continue }
            }
            best = (t, c)
        }
        // The highest candidate flags nothing, so its false-positive rate is 0 and `best` is always set.
        return best ?? (minimum, confusion(at: minimum))
    }

    func advice(options: ReplayOptions, thresholds: Thresholds) -> ReplayReport.ThresholdAdvice {
        let warnTarget = options.targetFalsePositiveRate
        let blockTarget = options.targetBlockFalsePositiveRate ?? warnTarget / 10
        let warn = best(target: warnTarget)
        let block = best(target: blockTarget, minimum: warn.threshold)
        func advice(_ level: Verdict.Decision, _ target: Double, _ found: (threshold: Int, confusion: CorpusMetrics.Confusion)) -> ReplayReport.Advice {
            let current = level == .block ? thresholds.block : thresholds.warn
            return ReplayReport.Advice(level: level, target: target, threshold: found.threshold, confusion: found.confusion,
                                       current: current, currentConfusion: confusion(at: current))
        }
        return ReplayReport.ThresholdAdvice(
            warn: advice(.warn, warnTarget, warn),
            block: advice(.block, blockTarget, block),
            table: ReplayOptions.adviceTable.map { advice(.warn, $0, best(target: $0)) }
        )
    }
}
