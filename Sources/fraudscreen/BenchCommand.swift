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
        messages come from a labelled JSONL corpus (default ./corpus/messages) and are sent round-robin.
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

    @Option(name: .long, help: "Generator threads (default one per core).")
    var threads: Int?

    @Flag(name: .long, help: "Send pings instead of messages: the daemon's transport and framing capacity without screening.")
    var ping = false

    @Flag(name: .long, help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        guard connections >= 1, connections <= 10_000 else { throw ValidationError("--connections must be 1…10000") }
        guard pipeline >= 1, pipeline <= 4_096 else { throw ValidationError("--pipeline must be 1…4096") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let threads, threads < 1 || threads > 64 { throw ValidationError("--threads must be 1…64") }
    }

    func run() throws {
        let path = corpus ?? "corpus/messages"
        let items: [LabelledItem]
        do {
            items = try CorpusReader.read(paths: [path]).items
        } catch {
            throw ToolFailure(message: "cannot read corpus \(path): \(error)")
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
        let report: LoadGenerator.Report
        do {
            report = try LoadGenerator.run(options)
        } catch {
            throw ToolFailure(message: "\(error)")
        }
        let mode = (rate.map { "open loop, \(Int($0)) req/s offered" } ?? "closed loop") + (ping ? ", pings" : "")
        if json {
            FileOutput.standardOutput.write("""
            {"connections":\(connections),"pipeline":\(pipeline),"duration_s":\(duration),"rate":\(rate.map { "\($0)" } ?? "null"),"ping":\(ping),\
            "messages":\(items.count),"answered":\(report.answered),"errors":\(report.errors),"skipped":\(report.skipped),\
            "requests_per_s":\(Int(report.requestsPerSecond)),"latency_us":{"p50":\(Int(report.p50)),"p99":\(Int(report.p99)),\
            "p999":\(Int(report.p999)),"max":\(Int(report.max))}}

            """)
        } else {
            FileOutput.standardOutput.write("""
            fraudscreen bench: \(connections) connections × pipeline \(pipeline), \(mode), \(Int(duration)) s measured, \(items.count) corpus messages
              requests/s   \(Int(report.requestsPerSecond))   (\(report.answered) answered, \(report.errors) errors\(report.skipped > 0 ? ", \(report.skipped) not sent: pipeline full" : ""))
              latency µs   p50 \(Int(report.p50))   p99 \(Int(report.p99))   p999 \(Int(report.p999))   max \(Int(report.max))

            """)
        }
        if report.errors > 0 { throw ToolFailure(message: "\(report.errors) requests were answered with an error", exitCode: 1) }
    }
}
