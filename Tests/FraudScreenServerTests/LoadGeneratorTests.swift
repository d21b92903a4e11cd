import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import FraudScreenClient

/// The load generator counts error answers by looking for `"error":{` near the start of each answer line.
@Suite("load generator")
struct LoadGeneratorTests {
    @Test("error answers are told from verdicts whatever the id, and only by the error member")
    func errorAnswers() {
        func isError(_ line: String) -> Bool {
            Array(line.utf8).withUnsafeBytes { LoadConnectionHandler.isErrorAnswer(UnsafeRawBufferPointer(rebasing: $0[..<min($0.count, 80)])) }
        }
        #expect(isError(#"{"id":"m1","error":{"code":"invalid_json","message":"…"}}"#))
        #expect(isError(#"{"id":null,"error":{"code":"too_large"}}"#))
        #expect(isError(#"{"id":"\"quoted\" id","error":{"code":"bad_value"}}"#))
        #expect(!isError(#"{"id":"m1","verdict":"allow","score":0,"category":null}"#))
        #expect(!isError(#"{"id":"error","verdict":"block"}"#))  // an id that says error is not an error
        #expect(!isError(#"{"id":"m1","verdict":"allow","hits":[{"rule":"error"}]}"#))
        #expect(!isError(#"{"id":"x"#))  // too short to hold the marker
    }

    @Test("a series reports the median of its runs, the mean of the middle two for an even count, and the totals")
    func seriesMedians() {
        func report(_ answered: Int, p99: Double, errors: Int = 0) -> LoadGenerator.Report {
            LoadGenerator.Report(answered: answered, errors: errors, skipped: 1, unanswered: 0, lostConnections: 0, seconds: 1, p50: 100, p99: p99, p999: p99 * 2, max: p99 * 3)
        }
        let odd = LoadSeries(runs: [report(300, p99: 900), report(100, p99: 5_000), report(200, p99: 700)])
        #expect(odd.median(\.requestsPerSecond) == 200)
        #expect(odd.median(\.p99) == 900)  // the stalled run's 5 ms is not the typical run's
        #expect(odd.range(\.p99) == 700...5_000)
        #expect(odd.answered == 600 && odd.skipped == 3)
        let even = LoadSeries(runs: [report(100, p99: 800), report(400, p99: 600, errors: 2), report(200, p99: 1_000), report(300, p99: 900)])
        #expect(even.median(\.requestsPerSecond) == 250)
        #expect(even.median(\.p99) == 850)
        #expect(even.errors == 2)
        let single = LoadSeries(runs: [report(123, p99: 456)])
        #expect(single.median(\.p99) == 456 && single.range(\.requestsPerSecond) == 123...123)
    }
}

/// The open-loop schedule against a stand-in daemon that timestamps every request it receives.
@Suite("load generator schedule", .timeLimit(.minutes(2)))
struct LoadScheduleTests {
    @Test("open loop spreads the connections' requests over each period instead of sending them together")
    func openLoopIsEven() throws {
        let path = "/tmp/fsb-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(path) }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0 && listen(listener, 64) == 0)
        final class Arrivals: @unchecked Sendable { var times: [Double] = []; let lock = NSLock() }
        let arrivals = Arrivals()
        let connections = 8
        // Accept every connection, then answer each request line at once and note when it came.
        Thread.detachNewThread {
            var fds: [pollfd] = []
            for _ in 0..<connections { fds.append(pollfd(fd: accept(listener, nil, nil), events: Int16(POLLIN), revents: 0)) }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let end = Date().addingTimeInterval(8)
            while Date() < end {
                guard poll(&fds, nfds_t(fds.count), 200) > 0 else { continue }
                for i in fds.indices where fds[i].revents & Int16(POLLIN) != 0 {
                    let n = read(fds[i].fd, &buffer, buffer.count)
                    guard n > 0 else { fds[i].events = 0; continue }
                    let lines = buffer[..<n].filter { $0 == 0x0A }.count
                    let now = Date().timeIntervalSince1970
                    arrivals.lock.lock(); arrivals.times += Array(repeating: now, count: lines); arrivals.lock.unlock()
                    let answer = Array(repeating: Array(#"{"id":1,"ok":true}"#.utf8) + [0x0A], count: lines).flatMap { $0 }
                    _ = answer.withUnsafeBytes { write(fds[i].fd, $0.baseAddress, $0.count) }
                }
            }
            for fd in fds { close(fd.fd) }
            close(listener)
        }
        var options = LoadGenerator.Options(socketPath: path, requests: [Array(#"{"op":"ping"}"#.utf8)])
        options.connections = connections
        options.rate = 160  // 20 per connection per second: one request every 6.25 ms overall
        options.duration = 1.5
        options.warmup = 0.2
        let report = try LoadGenerator.run(options)
        #expect(report.unanswered == 0 && report.lostConnections == 0 && report.answered > 150)
        // Each request's latency, counted from its scheduled time, includes how late it left, so the percentiles
        // of the send delay cannot exceed the latency's.
        let delay = try #require(report.sendDelay)
        #expect(delay.p50 <= report.p50 && delay.p99 <= report.p99, "send delay \(delay), latency p50 \(report.p50) p99 \(report.p99)")
        arrivals.lock.lock(); let times = arrivals.times.sorted(); arrivals.lock.unlock()
        // In phase, all eight arrived within a millisecond or two, every 50 ms: nearly every request had three or
        // more others within 3 ms. Spread, that happens only where a stalled timer sends a few late requests at
        // once, so the share is judged, not the worst window (the machine is shared with other tests).
        var crowded = 0
        for (i, t) in times.enumerated() {
            var j = i
            while j < times.count, times[j] - t < 0.003 { j += 1 }
            if j - i >= 4 { crowded += j - i }
        }
        #expect(Double(crowded) < 0.3 * Double(times.count), "\(crowded) of \(times.count) requests arrived in crowds of 4+ within 3 ms")
    }
}
