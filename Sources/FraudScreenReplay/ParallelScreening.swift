import Dispatch
import Foundation
import FraudScreenCore

/// Screens corpus items on every core. Each worker owns a `Screener` (they are not thread-safe) and takes
/// blocks of items from a shared cursor, so a slow block does not leave a core idle; verdicts keep input order.
public enum ParallelScreening {
    /// Items a worker takes at a time (and the granularity of progress reports).
    static let blockSize = 256

    /// Screens every item's document. `progress(done, total)` is called (never concurrently) as blocks finish.
    public static func screen(_ items: [LabelledItem], ruleSet: RuleSet, workers requested: Int? = nil,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) -> (verdicts: [Verdict], workers: Int) {
        let count = items.count
        let blocks = (count + blockSize - 1) / blockSize
        let workers = max(1, min(requested ?? ProcessInfo.processInfo.activeProcessorCount, blocks))
        guard count > 0 else { return ([], workers) }

        // Each block is written by exactly one worker (the one that took it from the cursor), so the unchecked
        // sharing of the buffer is race-free; the cursor and the progress count are guarded by the lock.
        final class Shared: @unchecked Sendable {
            let buffer: UnsafeMutableBufferPointer<Verdict?>
            let lock = NSLock()
            var nextBlock = 0
            var done = 0
            init(count: Int) {
                buffer = .allocate(capacity: count)
                buffer.initialize(repeating: nil)
            }
            func take() -> Int? {
                lock.lock(); defer { lock.unlock() }
                let block = nextBlock
                nextBlock += 1
                return block
            }
        }
        let shared = Shared(count: count)
        defer { shared.buffer.deinitialize(); shared.buffer.deallocate() }

        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            // Entities listed: the verdicts file and the reports are the rule author's view of an item, and an
            // empty list would say that nothing was found.
            let screener = Screener(ruleSet: ruleSet, reportsEntities: true)
            while let block = shared.take(), block < blocks {
                let range = (block * blockSize)..<min(count, (block + 1) * blockSize)
                for i in range { shared.buffer[i] = screener.screen(items[i].document) }
                if let progress {
                    shared.lock.lock()
                    shared.done += range.count
                    progress(shared.done, count)
                    shared.lock.unlock()
                }
            }
        }
        return (shared.buffer.map { $0! }, workers)
    }
}
