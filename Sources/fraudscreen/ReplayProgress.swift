import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar on standard error, drawn only when it is a terminal (never into logs or pipes).
final class ReplayProgressBar: @unchecked Sendable {
    private let total: Int
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now
    private var drawn = false
    private let started = ContinuousClock.now

    private init(total: Int) { self.total = total }

    /// A bar when standard error is a terminal, nil otherwise.
    static func onTerminal(total: Int) -> ReplayProgressBar? {
        isatty(STDERR_FILENO) == 1 && total > 0 ? ReplayProgressBar(total: total) : nil
    }

    /// Called by the screening workers (serialised by the library, guarded here too).
    var update: @Sendable (String, Int, Int) -> Void {
        { [self] phase, done, total in self.draw(phase, done, total) }
    }

    private func draw(_ phase: String, _ done: Int, _ total: Int) {
        lock.lock(); defer { lock.unlock() }
        let now = ContinuousClock.now
        guard done == total || now - lastDraw > .milliseconds(80) else { return }
        lastDraw = now
        drawn = true
        let width = 32
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let seconds = Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        FileOutput.standardError.write("\r\u{1B}[2K\(phase) \(bar) " + String(format: "%3.0f%%  %d/%d  %.0f items/s", fraction * 100, done, total, rate))
    }

    /// Clears the bar's line.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drawn { FileOutput.standardError.write("\r\u{1B}[2K") }
    }
}
