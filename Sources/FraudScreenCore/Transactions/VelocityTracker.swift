import Synchronization

/// Per-payer memory of recent transfers to first-time payees, for rules like "the third transfer to a new
/// payee within 30 minutes". Per-process state (each daemon keeps its own, it is not shared or persisted),
/// bounded in size: past `maximumPayers` the least recently active payers are forgotten first, and entries
/// older than the window expire. Safe to share between threads.
public final class VelocityTracker: Sendable {
    public let windowSeconds: Int64
    public let maximumPayers: Int
    public let maximumEventsPerPayer: Int

    private struct State {
        var events: [String: [Int64]] = [:]
        var lastSeen: [String: Int64] = [:]
    }
    private let state = Mutex(State())

    public init(windowSeconds: Int64 = 30 * 60, maximumPayers: Int = 100_000, maximumEventsPerPayer: Int = 32) {
        self.windowSeconds = windowSeconds
        self.maximumPayers = maximumPayers
        self.maximumEventsPerPayer = maximumEventsPerPayer
    }

    /// Records a transfer to a first-time payee by `payer` at `time` (epoch seconds) and returns how many
    /// such transfers the payer made within the window ending at `time`, this one included.
    public func recordFirstTimeTransfer(payer: String, at time: Int64) -> Int {
        state.withLock { state in
            var events = state.events[payer, default: []].filter { $0 >= time - windowSeconds && $0 <= time + windowSeconds }
            events.append(time)
            if events.count > maximumEventsPerPayer { events.removeFirst(events.count - maximumEventsPerPayer) }
            state.events[payer] = events
            state.lastSeen[payer] = time
            if state.events.count > maximumPayers { Self.evict(&state, keeping: maximumPayers * 9 / 10) }
            return events.filter { $0 >= time - windowSeconds && $0 <= time }.count
        }
    }

    /// How many payers are remembered.
    public var payerCount: Int { state.withLock { $0.events.count } }

    /// Forgets the least recently active payers until `keeping` remain (amortised: runs once per 10% growth).
    private static func evict(_ state: inout State, keeping: Int) {
        let ordered = state.lastSeen.sorted { $0.value < $1.value }
        for (payer, _) in ordered.prefix(max(0, state.events.count - keeping)) {
            state.events[payer] = nil
            state.lastSeen[payer] = nil
        }
    }
}
