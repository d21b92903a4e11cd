import FraudScreenClient
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `DaemonClient` against the real daemon, and against stand-ins that misbehave as a stopped or dying daemon
/// does: every failure must arrive promptly as a `DaemonClient.Failure`, never as a hang or a crash.
@Suite("daemon client", .serialized, .timeLimit(.minutes(5)))
struct DaemonClientTests {
    @Test("a request after close() fails at once, and close() is idempotent")
    func sendAfterClose() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath)
        #expect(client.isConnected)
        client.close()
        #expect(!client.isConnected)
        #expect(failure(within { client.send(.ping).whenComplete($0) }) == "the client is closed")
        client.close()  // a second close does nothing
        #expect(failure(within { client.sendLine(Array(#"{"op":"ping"}"#.utf8)).whenComplete($0) }) == "the client is closed")
    }

    @Test("close() from a callback on the client's event loop neither waits there nor strands the other requests")
    func closeInsideCallback() throws {
        let stand = try StandInDaemon(answering: 1); defer { stand.stop() }
        let client = try DaemonClient.connect(socketPath: stand.path)
        let ping = client.send(.ping)
        let later = client.send(.stats)  // never answered: the stand-in answers only the first request
        // The callback runs on the client's event loop.
        let closed = within(10) { (done: @escaping @Sendable (Result<Bool, Error>) -> Void) in
            ping.whenComplete { _ in
                client.close()
                client.close()
                done(.success(true))
            }
        }
        #expect(closed != nil)
        // The request still waiting when the callback closed the client fails with the reason.
        #expect(failure(within { later.whenComplete($0) }) == "the client is closed")
        #expect(failure(within { client.send(.ping).whenComplete($0) }) == "the client is closed")
        client.close()
    }

    @Test("a client dropped without close() keeps no thread and no connection")
    func droppedClientsReleaseEverything() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        // One client first: whatever threads clients share exist from then on.
        _ = try DaemonClient.connect(socketPath: daemon.socketPath).send(.ping).wait()
        let before = threads()
        for _ in 0..<100 {
            let client = try DaemonClient.connect(socketPath: daemon.socketPath)
            #expect(try client.send(.ping).wait().error == nil)
        }
        // A request in flight when its client is dropped is still answered.
        #expect(try DaemonClient.connect(socketPath: daemon.socketPath).send(.ping).wait().error == nil)
        #expect(threads() - before < 30, "threads: \(before) before, \(threads()) after 100 dropped clients")
        // The daemon sees every dropped client's connection closed: only the one asking stays open.
        let probe = try daemon.connect(); defer { probe.close() }
        var open = -1
        let deadline = Date().addingTimeInterval(10)
        repeat {
            let stats = json(try probe.request(#"{"id":"s","op":"stats"}"#))["stats"] as? [String: Any]
            open = (stats?["connections"] as? [String: Any])?["open"] as? Int ?? -1
            if open == 1 { break }
            usleep(100_000)
        } while Date() < deadline
        #expect(open == 1, "connections still open on the daemon: \(open)")
    }

    @Test("a daemon that never answers: the request times out, the connection closes, later requests fail at once")
    func requestTimeout() throws {
        let stand = try StandInDaemon(answering: 0); defer { stand.stop() }
        let client = try DaemonClient.connect(socketPath: stand.path, timeout: .milliseconds(500))
        defer { client.close() }
        let started = Date()
        let first = client.send(.ping), second = client.send(.screen(text: "刷单就有佣金"))
        let expected = "no answer from the daemon within 0.5 s (connection closed)"
        #expect(failure(within { first.whenComplete($0) }) == expected)
        #expect(failure(within { second.whenComplete($0) }) == expected)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(!client.isConnected)
        #expect(failure(within { client.send(.ping).whenComplete($0) }) == expected)
        #expect(throws: DaemonClient.Failure.self) { try DaemonClient.connect(socketPath: stand.path, timeout: .zero) }
    }

    @Test("check --socket --timeout gives up on a stopped daemon; the option is validated like the others")
    func checkTimeout() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        daemon.signal(SIGSTOP)
        defer { daemon.signal(SIGCONT) }
        let started = Date()
        let stalled = try runTool(["check", "--socket", daemon.socketPath, "--timeout", "1", "刷单就有佣金"])
        #expect(stalled.status == 2)
        #expect(stalled.stderr == "fraudscreen: no answer from the daemon within 1 s (connection closed)\n", "\(stalled.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        daemon.signal(SIGCONT)
        let answered = try runTool(["check", "--socket", daemon.socketPath, "--timeout", "30", "--json", "刷单就有佣金"])
        #expect(answered.status == 0, "\(answered.stderr)")
        for value in ["0", "-1", "nan", "inf", "1e300"] {
            let refused = try runTool(["check", "--socket", daemon.socketPath, "--timeout=\(value)", "x"])
            #expect(refused.status == 2 && refused.stderr.contains("--timeout must be") && refused.stderr.split(separator: "\n").count == 1,
                    "--timeout \(value): \(refused.stderr)")
        }
        let withoutSocket = try runTool(["check", "--timeout", "5", "x"])
        #expect(withoutSocket.status == 2 && withoutSocket.stderr.contains("--timeout needs --socket"), "\(withoutSocket.stderr)")
    }

    @Test("a daemon that exits: later requests fail with a Failure that says so, and isConnected tells")
    func daemonGone() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath); defer { client.close() }
        #expect(try client.send(.ping).wait().error == nil)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 30) == 0)
        #expect(eventually { !client.isConnected })
        #expect(failure(within { client.send(.ping).whenComplete($0) }) == "the daemon closed the connection")
    }

    @Test("requests waiting when the daemon closes the connection fail, none is left waiting")
    func pendingRequestsFailOnClose() throws {
        let stand = try StandInDaemon(answering: 0, closingAfter: 1); defer { stand.stop() }
        let client = try DaemonClient.connect(socketPath: stand.path); defer { client.close() }
        let futures = (0..<3).map { _ in client.send(.ping) }
        for future in futures {
            #expect(failure(within { future.whenComplete($0) }) == "the daemon closed the connection")
        }
    }

    @Test("an idle-timeout close and an overloaded refusal are Failures that say what happened")
    func idleAndOverloaded() throws {
        let (daemon, _) = try startDaemon(["--max-connections", "1", "--idle-timeout", "1"]); defer { daemon.stop() }
        // Admitted once the start-up probe's connection has left the count.
        var admitted: DaemonClient?
        for _ in 0..<100 where admitted == nil {
            let client = try DaemonClient.connect(socketPath: daemon.socketPath)
            if let answer = try? client.send(.ping).wait(), answer.error == nil { admitted = client } else { client.close(); usleep(50_000) }
        }
        let idle = try #require(admitted); defer { idle.close() }
        // Admitted while the idle one holds the only slot: refused as overloaded.
        let refused = try DaemonClient.connect(socketPath: daemon.socketPath); defer { refused.close() }
        #expect(eventually { !refused.isConnected })
        let refusal = failure(within { refused.send(.ping).whenComplete($0) }) ?? ""
        #expect(refusal.hasPrefix("the daemon refused the connection: overloaded"), "\(refusal)")
        #expect(eventually(timeout: 20) { !idle.isConnected })
        #expect(failure(within { idle.send(.ping).whenComplete($0) }) == "the daemon closed the connection")
    }

    @Test("a raw line that is blank or holds a line break is refused before sending; the next request keeps its answer")
    func linesThatWouldPutAnswersOutOfStep() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath); defer { client.close() }
        for line in ["", "   ", "\t", #"{"id":"a","op":"ping"}"# + "\n" + #"{"id":"b","op":"ping"}"#, #"{"id":"a","op":"ping"}"# + "\r", "\n"] {
            let message = failure(within { client.sendLine(Array(line.utf8)).whenComplete($0) }) ?? ""
            #expect(message.hasPrefix("a request line must"), "\(line.debugDescription): \(message)")
        }
        let answer = within { client.send(.ping).whenComplete($0) }
        #expect((try? answer?.get())?.id?.hasPrefix("c") == true, "\(String(describing: answer))")
        #expect(client.isConnected)
    }

    @Test("payee type, evidence sources and a report's channel and sender reach the daemon and come back")
    func apiGaps() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath); defer { client.close() }
        let payment = TransactionRequest(memo: "货款", amount: "12500.00", payeeName: "李某", payeeType: "personal", firstTimePayee: true,
                                         timestamp: "2026-11-29T02:13:00+08:00")
        let answer = try client.send(.screenTransaction(payment)).wait()
        #expect(answer.hits.map(\.rule) == ["txn.large_new_personal"], "\(answer.line)")
        #expect(answer.hits.first?.evidence.first?.source == "transaction", "\(answer.line)")
        let message = try client.send(.screen(text: "请把钱转到安全账户")).wait()
        #expect(message.hits.first?.evidence.first?.source == "keyword", "\(message.line)")

        let report = try client.send(.report(text: "刷单就有佣金", channel: "sms", sender: "+8613800000000", reporter: "hotline-07",
                                             label: "fraud", listingEntities: true)).wait()
        #expect(report.reportID != nil, "\(report.line)")
        let stored = try String(contentsOfFile: daemon.todaysReportsFile, encoding: .utf8).split(separator: "\n").map { json(String($0)) }
        let storedMessage = stored.last?["message"] as? [String: Any]
        #expect(storedMessage?["channel"] as? String == "sms" && storedMessage?["sender"] as? String == "+8613800000000", "\(stored)")
    }
}

extension DaemonClientTests {
    @Test("a conversation that ends by refusing: the ceiling rule's hit and the capped scores reach the client")
    func ceilingReachesClient() throws {
        let daemon = try DaemonProcess()
        let rules = try TestRules(in: daemon.directory)
        try rules.write(TestRules.rules + """

              - id: chat.refused
                category: "*"
                score: 0
                ceiling: 30
                turns: {last: 2}
                description: 对话结尾已拒绝
                keywords: {any: [不做了]}
                examples:
                  match: ["刷单就有佣金\\n先做任务\\n我：不做了"]
            """)
        try daemon.start(["--socket", daemon.socketPath, "--rules", rules.path]); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath); defer { client.close() }
        let refused = try client.send(.screen(text: "群主：刷单就有佣金\n群主：先做任务\n我：不做了\n群主：再想想")).wait()
        #expect(refused.verdict == "allow" && refused.score == 30, "\(refused.line)")
        #expect(refused.hits.first { $0.rule == "chat.refused" }?.ceiling == 30, "\(refused.line)")
        #expect(refused.hits.first { $0.rule == "brushing.core" }?.ceiling == nil, "\(refused.line)")
        // The same words in one message: no closing turns, the scam's score stands.
        let single = try client.send(.screen(text: "刷单就有佣金，不做了")).wait()
        #expect(single.verdict == "warn" && single.score == 50, "\(single.line)")
    }
}

/// What a future-returning call completes with within `seconds`; nil when it never does, so a hang fails the
/// test instead of stalling it. (`start` hands the completion to the future's `whenComplete`.)
func within<T: Sendable>(_ seconds: Double = 10, _ start: (@escaping @Sendable (Result<T, Error>) -> Void) -> Void) -> Result<T, Error>? {
    let box = CompletionBox<T>(), done = DispatchSemaphore(value: 0)
    start { result in
        box.lock.withLock { box.result = result }
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return box.lock.withLock { box.result }
}

private final class CompletionBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<T, Error>?
}

/// The `DaemonClient.Failure` message of a result; a description of anything else (an answer, another error,
/// no completion) that cannot equal a message the tests expect.
func failure<T>(_ result: Result<T, Error>?) -> String? {
    switch result {
    case nil: return "<no completion>"
    case .success(let value): return "<succeeded: \(value)>"
    case .failure(let error as DaemonClient.Failure): return error.message
    case .failure(let error): return "<\(type(of: error)): \(error)>"
    }
}

/// Whether `condition` holds within `timeout` seconds.
func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { return false }
        usleep(20_000)
    }
    return true
}


/// A Unix-socket listener standing in for a daemon that has stopped: it accepts and reads request lines,
/// answers only the first `answering` of each connection (`{"id":…,"ok":true}` without the id), and closes a
/// connection once `closingAfter` lines arrived on it.
final class StandInDaemon: @unchecked Sendable {
    let path: String
    private let listener: Int32
    private let stopped = NSLock()
    private var isStopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(answering: Int, closingAfter: Int? = nil) throws {
        path = "/tmp/fsc-\(UInt32.random(in: 0...UInt32.max)).sock"
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            Glibc.close(listener)
            throw TestFailure("cannot listen on \(path)")
        }
        let listening = listener
        Thread.detachNewThread { [self] in
            struct Connection { var fd: Int32; var lines = 0 }
            var connections: [Connection] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !stopped.withLock({ isStopped }) {
                var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0)]
                    + connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                guard poll(&fds, nfds_t(fds.count), 100) > 0 else { continue }
                for i in connections.indices.reversed() where fds[i + 1].revents != 0 {
                    let n = read(connections[i].fd, &buffer, buffer.count)
                    let lines = n > 0 ? buffer[..<n].filter { $0 == 0x0A }.count : 0
                    let answered = max(0, min(lines, answering - connections[i].lines))
                    let answer = Array(repeating: Array(#"{"ok":true}"#.utf8) + [0x0A], count: answered).flatMap { $0 }
                    _ = answer.withUnsafeBytes { send(connections[i].fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    connections[i].lines += lines
                    if n <= 0 || (closingAfter.map { connections[i].lines >= $0 } ?? false) {
                        Glibc.close(connections[i].fd)
                        connections.remove(at: i)
                    }
                }
                if fds[0].revents & Int16(POLLIN) != 0 {
                    let fd = accept(listening, nil, nil)
                    if fd >= 0 { connections.append(Connection(fd: fd)) }
                }
            }
            for connection in connections { Glibc.close(connection.fd) }
            Glibc.close(listening)
            finished.signal()
        }
    }

    func stop() {
        stopped.withLock { isStopped = true }
        _ = finished.wait(timeout: .now() + 5)
        unlink(path)
    }
}
