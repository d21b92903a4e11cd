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
            screener = Screener(ruleSet: current.ruleSet, reportsEntities: false)
            screener.velocity = store.velocity
            generation = current.generation
        }
        return screener
    }

    /// Writes `handler`'s answers once the loop has read from every connection that was ready with it.
    ///
    /// Without pipelining each connection brings one request per wake-up. Written as each was screened, every
    /// answer woke the client's thread on its own, which answered with one new request, and both sides went
    /// back to sleep once per request. Written together after the round of reads (tasks run after the loop's
    /// I/O events), they wake the client once, and it finds them all: requests then arrive, and are read and
    /// answered, in rounds.
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
