import Foundation

/// A value behind a mutex, for the little state the event loops share (current rule set, connection
/// registry, reload counters). Critical sections are a few loads and stores; contention is negligible.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}
