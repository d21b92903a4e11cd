import ArgumentParser
import FraudScreenClient
import FraudScreenCore
#if canImport(Glibc)
import Glibc
#endif

/// `fraudscreen bench`: load against a running daemon, reporting throughput and latency percentiles —
/// what a bank uses to size capacity.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test a running fraudscreend and report requests/s and latency percentiles.",
        discussion: """
        Closed loop by default: each connection keeps --pipeline requests in flight. With --rate the \
        requests leave on a fixed schedule (open loop) and latency counts from the scheduled time. The \
        messages come from a labelled JSONL corpus (default ./corpus/messages) and are sent round-robin. \
        With --runs N the load runs N times and the figures are the runs' medians, with their range.
        """
    )

    @Option(name: .long, help: "The daemon's socket.")
    var socket: String

    @Option(name: .long, help: "Connections (default 32).")
    var connections = 32

    @Option(name: .long, help: "Requests in flight per connection (default 16; 1 = no pipelining).")
    var pipeline = 16

    @Option(name: .long, help: "Measured seconds (default 10).")
    var duration: Double = 10

    @Option(name: .long, help: "Unmeasured seconds before (default 1).")
    var warmup: Double = 1

    @Option(name: .long, help: "Offered load in requests/s over all connections (open loop).")
    var rate: Double?

    @Option(name: .long, help: "JSONL corpus file or directory (default ./corpus/messages).")
    var corpus: String?

    @Option(name: .long, help: "Send only the corpus messages of at most this many characters (Unicode scalars; 70 is one UCS-2 SMS segment, the length the SMS targets are stated for). Transactions are kept.")
    var maxCharacters: Int?

    @Option(name: .long, help: "Runs back to back, each with fresh connections and its own warm-up; the figures are their medians (default 1).")
    var runs = 1

    @Option(name: .long, help: "Generator threads (default one per core).")
    var threads: Int?

    @Flag(name: .long, help: "Send pings instead of messages: the daemon's transport and framing capacity without screening.")
    var ping = false

    @Flag(name: .long, help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        guard connections >= 1, connections <= 10_000 else { throw ValidationError("--connections must be 1…10000") }
        guard pipeline >= 1, pipeline <= 4_096 else { throw ValidationError("--pipeline must be 1…4096") }
        // Bounded and finite: the schedule turns seconds into integer nanoseconds, and NaN or infinity trapped.
        guard duration.isFinite, duration >= 0.1, duration <= 86_400 else { throw ValidationError("--duration must be 0.1…86400 seconds") }
        guard warmup.isFinite, warmup >= 0, warmup <= 3_600 else { throw ValidationError("--warmup must be 0…3600 seconds") }
        if let rate, !(rate.isFinite && rate >= 1 && rate <= 10_000_000) { throw ValidationError("--rate must be 1…10000000 requests/s") }
        if let threads, threads < 1 || threads > 64 { throw ValidationError("--threads must be 1…64") }
        guard runs >= 1, runs <= 100 else { throw ValidationError("--runs must be 1…100") }
        if let maxCharacters, maxCharacters < 1 { throw ValidationError("--max-characters must be at least 1") }
    }

    func run() throws {
        let path = corpus ?? "corpus/messages"
        var items: [LabelledItem]
        do {
            items = try CorpusReader.read(paths: [path]).items
        } catch {
            throw ToolFailure(message: "cannot read corpus \(path): \(error)")
        }
        if let maxCharacters {
            items = items.filter { $0.transaction != nil || $0.text.unicodeScalars.count <= maxCharacters }
            guard !items.isEmpty else { throw ToolFailure(message: "corpus \(path) has no message of at most \(maxCharacters) characters") }
        }
        guard !items.isEmpty else { throw ToolFailure(message: "corpus \(path) has no messages") }
        var options = LoadGenerator.Options(socketPath: socket, requests: items.enumerated().map { index, item in
            // Transactions in the corpus are sent as transactions, so a bank can size for its real mix.
            let request: ClientRequest = ping ? .ping
                : item.transaction.map { .screenTransaction(TransactionRequest($0)) } ?? .screen(text: item.text)
            return request.line(id: "b\(index)")
        })
        options.connections = connections
        options.pipeline = pipeline
        options.duration = duration
        options.warmup = warmup
        options.rate = rate
        if let threads { options.threads = threads }
        let series: LoadSeries
        do {
            series = try LoadSeries.run(options, count: runs)
        } catch {
            throw ToolFailure(message: "\(error)")
        }
        let mode = (rate.map { "open loop, \(BenchCommand.number($0)) req/s offered" } ?? "closed loop") + (ping ? ", pings" : "")
        FileOutput.standardOutput.write(json ? jsonFigures(series, messages: items.count) : textFigures(series, mode: mode, messages: items.count))
        // Figures of a run that lost requests or connections describe less load than was asked for: say so and fail.
        var problems: [String] = []
        if series.answered == 0 { problems.append("no request of the measured window was answered") }
        if series.unanswered > 0 { problems.append("\(series.unanswered) requests of the measured window were not answered within 2 s after it") }
        if series.lostConnections > 0 { problems.append("\(series.lostConnections) connections were refused or closed by the daemon") }
        if series.errors > 0 { problems.append("\(series.errors) requests were answered with an error") }
        if !problems.isEmpty { throw ToolFailure(message: problems.joined(separator: "; "), exitCode: 1) }
    }

    private func jsonFigures(_ series: LoadSeries, messages: Int) -> String {
        func figures(_ requestsPerSecond: Double, _ p50: Double, _ p99: Double, _ p999: Double, _ max: Double,
                     sendDelay: (p50: Double, p99: Double)?) -> String {
            #""requests_per_s":\#(Int(requestsPerSecond)),"latency_us":{"p50":\#(Int(p50)),"p99":\#(Int(p99)),"p999":\#(Int(p999)),"max":\#(Int(max))}"#
                + (sendDelay.map { #","send_delay_us":{"p50":\#(Int($0.p50)),"p99":\#(Int($0.p99))}"# } ?? "")
        }
        let perRun = series.runs.map { run in
            #"{"answered":\#(run.answered),"errors":\#(run.errors),"skipped":\#(run.skipped),"unanswered":\#(run.unanswered),"lost_connections":\#(run.lostConnections),"#
                + figures(run.requestsPerSecond, run.p50, run.p99, run.p999, run.max, sendDelay: run.sendDelay) + "}"
        }
        // Medians of the runs (a single run's own figures when there is one); `max` is the largest of all.
        return """
        {"connections":\(connections),"pipeline":\(pipeline),"duration_s":\(duration),"rate":\(rate.map { "\($0)" } ?? "null"),"ping":\(ping),\
        "messages":\(messages),"max_characters":\(maxCharacters.map { "\($0)" } ?? "null"),"runs":\(series.runs.count),"answered":\(series.answered),"errors":\(series.errors),"skipped":\(series.skipped),\
        "unanswered":\(series.unanswered),"lost_connections":\(series.lostConnections),\
        \(figures(series.median(\.requestsPerSecond), series.median(\.p50), series.median(\.p99), series.median(\.p999), series.range(\.max).upperBound,
                  sendDelay: series.medianSendDelay)),\
        "per_run":[\(perRun.joined(separator: ","))]}

        """
    }

    private var lengthNote: String { maxCharacters.map { " of at most \($0) characters" } ?? "" }

    /// A number as given: `4`, `0.5`, `2.25`.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\(value)"
    }

    private func textFigures(_ series: LoadSeries, mode: String, messages: Int) -> String {
        let counts = "\(series.answered) answered, \(series.errors) errors" + (series.skipped > 0 ? ", \(series.skipped) not sent: pipeline full" : "")
            + (series.unanswered > 0 ? ", \(series.unanswered) UNANSWERED" : "") + (series.lostConnections > 0 ? ", \(series.lostConnections) connections LOST" : "")
        let heading = "fraudscreen bench: \(connections) connections × pipeline \(pipeline), \(mode), "
        guard series.runs.count > 1 else {
            let run = series.runs[0]
            return """
            \(heading)\(BenchCommand.number(duration)) s measured, \(messages) corpus messages\(lengthNote)
              requests/s   \(Int(run.requestsPerSecond))   (\(counts))
              latency µs   p50 \(Int(run.p50))   p99 \(Int(run.p99))   p999 \(Int(run.p999))   max \(Int(run.max))
            \(BenchCommand.sendDelayLine(run.sendDelay))
            """
        }
        func range(_ figure: (LoadGenerator.Report) -> Double) -> String {
            let r = series.range(figure)
            return "\(Int(r.lowerBound))–\(Int(r.upperBound))"
        }
        var lines = ["\(heading)\(series.runs.count) runs of \(BenchCommand.number(duration)) s measured, \(messages) corpus messages\(lengthNote)"]
        for (index, run) in series.runs.enumerated() {
            let label = "  run \(index + 1)"
            lines.append(label + String(repeating: " ", count: max(1, 15 - label.count))
                         + "requests/s \(Int(run.requestsPerSecond))   p50 \(Int(run.p50))   p99 \(Int(run.p99))   p999 \(Int(run.p999))   max \(Int(run.max)) µs")
        }
        lines.append("  median of \(series.runs.count) runs (range):")
        lines.append("  requests/s   \(Int(series.median(\.requestsPerSecond))) (\(range(\.requestsPerSecond)))   (\(counts))")
        lines.append("  latency µs   p50 \(Int(series.median(\.p50))) (\(range(\.p50)))   p99 \(Int(series.median(\.p99))) (\(range(\.p99)))   "
                     + "p999 \(Int(series.median(\.p999))) (\(range(\.p999)))   max \(Int(series.range(\.max).upperBound))")
        return lines.joined(separator: "\n") + "\n" + BenchCommand.sendDelayLine(series.medianSendDelay)
    }

    /// Open loop: how late the generator sent, which the latency includes (docs/BENCHMARKS.md); empty otherwise.
    static func sendDelayLine(_ delay: (p50: Double, p99: Double)?) -> String {
        delay.map { "  send delay µs p50 \(Int($0.p50))   p99 \(Int($0.p99))   (the generator's own lateness, included in the latency)\n" } ?? ""
    }
}
