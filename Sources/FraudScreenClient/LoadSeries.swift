/// Several load runs back to back, summarised by their medians.
///
/// On a shared machine one run can meet a minute in which the host stalls the virtual CPUs for milliseconds;
/// its p99 then says more about that minute than about the daemon. The median of several runs is the figure of
/// a typical run, and the runs' spread shows how much the machine moved (docs/BENCHMARKS.md).
public struct LoadSeries: Sendable {
    /// Every run's report, in the order they ran.
    public let runs: [LoadGenerator.Report]

    public init(runs: [LoadGenerator.Report]) {
        precondition(!runs.isEmpty, "a series needs at least one run")
        self.runs = runs
    }

    /// Runs the load `count` times, each with fresh connections and its own warm-up.
    public static func run(_ options: LoadGenerator.Options, count: Int) throws -> LoadSeries {
        precondition(count >= 1, "at least one run")
        return LoadSeries(runs: try (0..<count).map { _ in try LoadGenerator.run(options) })
    }

    /// The median of one figure over the runs (the mean of the two middle ones for an even count).
    public func median(_ figure: (LoadGenerator.Report) -> Double) -> Double {
        let values = runs.map(figure).sorted()
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    /// Open loop: the medians of the runs' send delays (nil in closed loop).
    public var medianSendDelay: (p50: Double, p99: Double)? {
        guard runs.allSatisfy({ $0.sendDelay != nil }) else { return nil }
        return (median { $0.sendDelay!.p50 }, median { $0.sendDelay!.p99 })
    }

    /// The smallest and largest value of one figure over the runs.
    public func range(_ figure: (LoadGenerator.Report) -> Double) -> ClosedRange<Double> {
        let values = runs.map(figure)
        return values.min()!...values.max()!
    }

    /// Answers, error answers and unsent requests over all runs.
    public var answered: Int { runs.reduce(0) { $0 + $1.answered } }
    public var errors: Int { runs.reduce(0) { $0 + $1.errors } }
    public var skipped: Int { runs.reduce(0) { $0 + $1.skipped } }
    /// Requests of the measured windows never answered, and connections lost, over all runs.
    public var unanswered: Int { runs.reduce(0) { $0 + $1.unanswered } }
    public var lostConnections: Int { runs.reduce(0) { $0 + $1.lostConnections } }
}
