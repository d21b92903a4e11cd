import Dispatch

/// Frees a large structure on another thread: a replaced rule set, a forgotten generation of the velocity
/// memory. Freeing one takes milliseconds (26 ms for the 10× rule set), which the thread answering a request
/// should not pay.
public enum BackgroundRelease {
    /// Takes `value` over and drops it on a utility queue. Pass it with `consume` (or as the last use of a
    /// temporary) so that the caller keeps no reference: the last one dropped is the one that frees.
    public static func release<T>(_ value: consuming T) {
        let box = Box(value)
        DispatchQueue.global(qos: .utility).async { box.drop() }
    }

    /// Sound as `Sendable`: nothing but `drop` touches the value after it is handed over.
    private final class Box<Value>: @unchecked Sendable {
        private var value: Value?

        init(_ value: consuming Value) { self.value = value }

        func drop() { value = nil }
    }
}
