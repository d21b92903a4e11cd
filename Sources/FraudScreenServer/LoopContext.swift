import FraudScreenCore

/// What one event loop owns: its `Screener` (not thread-safe, so one per loop) and its counters.
///
/// Every connection handler on the loop shares it. It is only ever touched on its own loop, which is what
/// makes the unchecked `Sendable` sound: the daemon hands each context to handlers created on that loop and
/// reads its counters only through `EventLoop.submit`.
final class LoopContext: @unchecked Sendable {
    private let store: RuleSetStore
    private var screener: Screener
    private var generation: Int
    /// Regex limit hits of screeners already replaced by a reload.
    private var retiredRegexLimitHits = 0
    var statistics = LoopStatistics()
    /// The writer every verdict answer of this loop is encoded with, reused.
    var answerWriter = JSONWriter(reservingCapacity: 4_096)

    init(store: RuleSetStore) {
        self.store = store
        let current = store.current
        screener = Screener(ruleSet: current.ruleSet, reportsEntities: false)
        screener.velocity = store.velocity
        generation = current.generation
    }

    /// The screener for the rule set serving now; rebuilt on the first request after a reload.
    var currentScreener: Screener {
        guard store.generation != generation else { return screener }
        let current = store.current
        if current.generation != generation {
            retiredRegexLimitHits += screener.regexLimitHits
            screener = Screener(ruleSet: current.ruleSet, reportsEntities: false)
            screener.velocity = store.velocity
            generation = current.generation
        }
        return screener
    }

    /// The counters with the live regex-limit figure folded in.
    var statisticsSnapshot: LoopStatistics {
        var copy = statistics
        copy.regexLimitHits = UInt64(retiredRegexLimitHits + screener.regexLimitHits)
        return copy
    }
}
