import Synchronization

/// Per-payer memory of recent transfers to first-time payees, for rules like "the third transfer to a new
/// payee within 30 minutes". Per-process state (each daemon keeps its own, it is not shared or persisted),
/// bounded in size: at most `maximumPayers` are remembered, the least recently active forgotten first, and
/// entries older than the window expire. Safe to share between threads.
///
/// Payers live in two generations. A transfer moves its payer into the current one; when the current one holds
/// half of `maximumPayers`, it becomes the previous one and the old previous one is forgotten whole. So a
/// forgotten payer was less recently active than every payer kept, and forgetting costs nothing per payer on
/// the request that triggers it (the old generation is released on another thread). Sorting every payer by
/// last activity to evict the oldest tenth stalled that request for about 20 ms at 100,000 payers.
public final class VelocityTracker: Sendable {
    public let windowSeconds: Int64
    public let maximumPayers: Int
    public let maximumEventsPerPayer: Int

    /// A transfer: when, and which one (`transfer`), so that the same transfer screened twice counts once.
    private struct Event {
        var time: Int64
        var transfer: Int?
    }
    private struct State {
        var current: [String: [Event]] = [:]
        var previous: [String: [Event]] = [:]
    }
    private let state = Mutex(State())

    /// Most transfers counted per payer: a rule's `recent_first_time_payee_transfers: {min: N}` may ask for
    /// at most this many (loading refuses more: such a rule could never fire).
    public static let defaultMaximumEventsPerPayer = 32

    public init(windowSeconds: Int64 = 30 * 60, maximumPayers: Int = 100_000,
                maximumEventsPerPayer: Int = VelocityTracker.defaultMaximumEventsPerPayer) {
        precondition(maximumPayers >= 2, "the velocity memory needs room for two payers")
        self.windowSeconds = windowSeconds
        self.maximumPayers = maximumPayers
        self.maximumEventsPerPayer = maximumEventsPerPayer
    }

    /// Records a transfer to a first-time payee by `payer` at `time` (epoch seconds) and returns how many
    /// such transfers the payer made within the window ending at `time`, this one included.
    ///
    /// `transfer` identifies the transfer (payee, amount, time): a bank that retries a timed-out request, or a
    /// teller who checks the same payment again, screens one transfer twice, and it must not count as two.
    public func recordFirstTimeTransfer(payer: String, at time: Int64, transfer: Int? = nil) -> Int {
        let generationSize = maximumPayers / 2
        let (count, forgotten) = state.withLock { state -> (Int, [String: [Event]]?) in
            let earlier = state.current.removeValue(forKey: payer) ?? state.previous.removeValue(forKey: payer) ?? []
            var events = earlier.filter { $0.time >= time - windowSeconds && $0.time <= time + windowSeconds }
            let seen = transfer != nil && events.contains { $0.time == time && $0.transfer == transfer }
            if !seen { events.append(Event(time: time, transfer: transfer)) }
            if events.count > maximumEventsPerPayer { events.removeFirst(events.count - maximumEventsPerPayer) }
            let count = events.filter { $0.time >= time - windowSeconds && $0.time <= time }.count
            state.current[payer] = events
            guard state.current.count >= generationSize else { return (count, nil) }
            let forgotten = state.previous
            state.previous = state.current
            state.current = Dictionary(minimumCapacity: generationSize)
            return (count, forgotten)
        }
        // Freeing tens of thousands of entries takes milliseconds: not on the thread answering a request.
        if forgotten != nil { BackgroundRelease.release(consume forgotten) }
        return count
    }

    /// How many payers are remembered.
    public var payerCount: Int { state.withLock { $0.current.count + $0.previous.count } }
}
