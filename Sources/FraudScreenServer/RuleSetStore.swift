import FraudScreenCore
import Foundation
import Synchronization

/// The rule set serving now, swapped whole on reload.
///
/// `RuleSet` is immutable, so readers take the current reference and keep using it; a reload never waits
/// for requests and no request waits for a reload (loading happens off the event loops, the swap is one
/// locked store). The generation tells each event loop when to rebuild its `Screener`.
final class RuleSetStore: Sendable {
    struct Current: Sendable {
        var ruleSet: RuleSet
        var generation: Int
        var loadedAt: Date
    }

    struct ReloadCounters: Sendable {
        var succeeded: UInt64 = 0
        var failed: UInt64 = 0
        var lastError: String?
    }

    private let state: Locked<Current>
    /// `state`'s generation, readable without the lock: every request checks it, from every event loop, and
    /// taking the lock (and retaining the shared rule set) each time made the loops contend for nothing.
    private let latestGeneration = Atomic<Int>(1)
    private let counters = Locked(ReloadCounters())
    /// Per-payer transfers to first-time payees, shared by every event loop and kept across reloads
    /// (per-daemon state: not persisted, not shared between daemons). Its window comes from the rule set
    /// the daemon started with.
    let velocity: VelocityTracker

    init(_ ruleSet: RuleSet) {
        state = Locked(Current(ruleSet: ruleSet, generation: 1, loadedAt: Date()))
        velocity = VelocityTracker(windowSeconds: Int64(ruleSet.settings.velocityWindowMinutes) * 60)
    }

    var current: Current { state.current }

    /// The generation of the rule set serving now (see `current`), without locking.
    var generation: Int { latestGeneration.load(ordering: .acquiring) }

    /// Installs a freshly loaded rule set and returns the one it replaced.
    @discardableResult
    func install(_ ruleSet: RuleSet) -> RuleSet {
        let previous = state.withLock { current -> RuleSet in
            let previous = current.ruleSet
            current = Current(ruleSet: ruleSet, generation: current.generation + 1, loadedAt: Date())
            latestGeneration.store(current.generation, ordering: .releasing)
            return previous
        }
        counters.withLock { $0.succeeded += 1; $0.lastError = nil }
        return previous
    }

    func recordFailure(_ message: String) {
        counters.withLock { $0.failed += 1; $0.lastError = message }
    }

    var reloadCounters: ReloadCounters { counters.current }
}
