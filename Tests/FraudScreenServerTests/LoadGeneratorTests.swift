import Testing
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
