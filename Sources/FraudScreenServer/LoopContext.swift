import FraudScreenCore
import NIOCore

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
    /// Connections whose answers wait for the write pass after this round of reads (`flushAfterReads`).
    private var deferredFlushes: [ConnectionHandler] = []
    private var flushPassScheduled = false

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
            // This loop's screener may hold the last reference to the replaced rule set: about 1.5 ms to free for
            // the shipped rules, 26 ms for the 10× set (benchmarks "Free …").
            let retired = screener
            screener = Screener(ruleSet: current.ruleSet, reportsEntities: false)
            screener.velocity = store.velocity
            generation = current.generation
            BackgroundRelease.release(consume retired)
        }
        return screener
    }

    /// Writes `handler`'s answers once the loop has read from every connection that was ready with it.
    ///
    /// Written as each connection's read was handled, each write could wake the client's thread on its own.
    /// Written together after the round of reads (tasks run after the loop's I/O events), they wake it once and
    /// it finds them all. Pipelined, this cut the daemon's kernel time per request by about a third and the
    /// generator's CPU by a quarter; without pipelining it made no measurable difference (docs/BENCHMARKS.md).
    func flushAfterReads(_ handler: ConnectionHandler, on eventLoop: EventLoop) {
        deferredFlushes.append(handler)
        guard !flushPassScheduled else { return }
        flushPassScheduled = true
        eventLoop.execute { [self] in
            flushPassScheduled = false
            var i = 0
            while i < deferredFlushes.count {
                deferredFlushes[i].flushDeferredOutput()
                i += 1
            }
            deferredFlushes.removeAll(keepingCapacity: true)
        }
    }

    /// The counters with the live regex-limit figure folded in.
    var statisticsSnapshot: LoopStatistics {
        var copy = statistics
        copy.regexLimitHits = UInt64(retiredRegexLimitHits + screener.regexLimitHits)
        return copy
    }
}
