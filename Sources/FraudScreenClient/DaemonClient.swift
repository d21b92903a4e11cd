import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A connection to `fraudscreend`. Requests may be pipelined: call `send` as often as you like without
/// waiting; each future completes with its own answer (the daemon answers in order).
///
/// Every request either gets its answer or fails with a `Failure`: when the client is closed, when the daemon
/// closes the connection, and when an answer is later than the client's timeout. Answers are matched to
/// requests by order, so after any of these the connection is closed and every later request fails at once;
/// connect again to go on.
public final class DaemonClient: Sendable {
    /// Connecting failed, the connection ended, an answer was late or not JSON, or a line was refused unsent.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// A connection error as an operator reads it: the system's words for the errno (NIO's description
        /// names its internal call), and what usually causes it.
        static func reason(_ error: Error) -> String {
            guard let error = error as? IOError else { return "\(error)" }
            let words = String(cString: strerror(error.errnoCode))
            switch error.errnoCode {
            case ENOENT: return "\(words) (is fraudscreend running, with this --socket?)"
            case ECONNREFUSED: return "\(words) (nothing listens there: a socket file left behind by a daemon that is not running, or not a socket)"
            case EACCES: return "\(words) (clients must be in the socket's group, fraudscreen under the shipped units)"
            default: return words
            }
        }

        static let clientClosed = Failure(message: "the client is closed")
        static let daemonClosed = Failure(message: "the daemon closed the connection")

        static func timedOut(_ timeout: TimeAmount) -> Failure {
            Failure(message: "no answer from the daemon within \(seconds(timeout)) (connection closed)")
        }

        /// What ended the connection, for an error NIO reported: a closed channel or a reset is the daemon
        /// closing (exiting, idle timeout, refusal), not something to show in NIO's words.
        static func ending(_ error: Error) -> Failure {
            if let failure = error as? Failure { return failure }
            if let error = error as? ChannelError {
                switch error {
                case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed: return daemonClosed
                default: break
                }
            }
            if let error = error as? IOError, [ECONNRESET, EPIPE].contains(error.errnoCode) { return daemonClosed }
            return Failure(message: "the connection failed: \(reason(error))")
        }

        /// `30 s`, `0.5 s`.
        static func seconds(_ amount: TimeAmount) -> String {
            let seconds = Double(amount.nanoseconds) / 1e9
            return seconds == seconds.rounded() ? "\(Int64(seconds)) s" : String(format: "%g s", seconds)
        }

        public var message: String
        public var description: String { message }
    }

    /// Long enough for any answer a working daemon gives (a reload of a large rule set in a debug build takes
    /// seconds), short enough that a stopped daemon does not hold a caller for good.
    public static let defaultTimeout = TimeAmount.seconds(30)

    private let channel: Channel
    private let state: ConnectionState
    private let counter = NIOLockedCounter()

    private init(channel: Channel, state: ConnectionState) {
        self.channel = channel
        self.state = state
    }

    /// Connects to the daemon's socket. A caller's own `group` must outlive the client: close the client
    /// before shutting the group down (NIO treats a group shut down under an open channel as a bug). Without a
    /// `group` the client uses NIO's shared event-loop group
    /// (`MultiThreadedEventLoopGroup.singleton`): its threads outlive every client, so futures stay usable
    /// after `close()` and a dropped client leaves no thread behind. `timeout` bounds the connect and each
    /// request's wait for its answer.
    public static func connect(socketPath: String, group: EventLoopGroup? = nil, timeout: TimeAmount = defaultTimeout) throws -> DaemonClient {
        guard timeout > .zero else { throw Failure(message: "the timeout must be above zero") }
        let state = ConnectionState()
        let bootstrap = ClientBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AnswerLineHandler(state: state, timeout: timeout))
                }
            }
        do {
            let channel = try bootstrap.connect(unixDomainSocketPath: socketPath).wait()
            return DaemonClient(channel: channel, state: state)
        } catch {
            throw Failure(message: "cannot connect to \(socketPath): \(Failure.reason(error))")
        }
    }

    /// False once the connection has ended (closed by either side, or after a timeout): every request then fails.
    public var isConnected: Bool { state.ending == nil && channel.isActive }

    /// Sends a request with a fresh id (`c1`, `c2`, …) and returns its answer.
    public func send(_ request: ClientRequest) -> EventLoopFuture<Answer> {
        let id = "c\(counter.next())"
        return sendLine(request.line(id: id)).flatMapThrowing { line in
            guard let answer = Answer(line: line) else { throw Failure(message: "answer is not a JSON object: \(line)") }
            return answer
        }
    }

    /// Sends one raw line (no newline; it is added) and returns the raw answer line. For tests and tools
    /// that want to send exactly what they built. A blank line or one holding a line break is refused unsent:
    /// the daemon would answer none or several, and every later answer would go to the wrong request.
    public func sendLine(_ line: [UInt8]) -> EventLoopFuture<String> {
        let loop = channel.eventLoop
        if line.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            return loop.makeFailedFuture(Failure(message: "a request line must not contain a line break (\\n or \\r)"))
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            return loop.makeFailedFuture(Failure(message: "a request line must not be blank (the daemon does not answer blank lines)"))
        }
        if let ending = state.ending { return loop.makeFailedFuture(ending) }
        // A channel already gone (its event-loop group shut down under it) can schedule nothing more: a promise
        // on its loop would never complete.
        guard channel.isActive else { return loop.makeFailedFuture(state.end(.daemonClosed)) }
        let promise = loop.makePromise(of: String.self)
        let state = self.state
        channel.writeAndFlush(AnswerLineHandler.OutgoingRequest(line: line, promise: promise)).whenFailure { error in
            promise.fail(state.ending ?? Failure.ending(error))
        }
        return promise.futureResult
    }

    /// Sends a request and waits for its answer.
    public func call(_ request: ClientRequest) async throws -> Answer {
        try await send(request).get()
    }

    /// Closes the connection; requests still waiting fail with "the client is closed". Safe from any thread,
    /// including in a callback on the client's event loop (where it does not wait for the close), and more
    /// than once.
    public func close() {
        guard state.closeByClient() else { return }
        if MultiThreadedEventLoopGroup.currentEventLoop != nil || !channel.isActive {
            // Waiting on an event-loop thread would stall it, or deadlock on our own; a closed channel (or one
            // whose group was shut down) has nothing to wait for.
            channel.close(promise: nil)
        } else {
            try? channel.close().wait()
        }
    }

    /// A client dropped without `close()` closes its connection once the requests it sent are answered (a
    /// caller may keep only the future of its last request).
    deinit {
        if !state.isClosedByClient { channel.triggerUserOutboundEvent(AnswerLineHandler.CloseWhenAnswered(), promise: nil) }
    }
}

/// Why the connection ended, shared by the client (any thread) and its handler (the event loop): the first
/// reason is what every waiting and later request fails with, except that the caller's own `close()` wins.
final class ConnectionState: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: DaemonClient.Failure?
    private var closedByClient = false

    var ending: DaemonClient.Failure? { lock.withLock { reason } }
    var isClosedByClient: Bool { lock.withLock { closedByClient } }

    /// Records `failure` unless the connection already ended; returns the reason in force.
    func end(_ failure: DaemonClient.Failure) -> DaemonClient.Failure {
        lock.withLock {
            if reason == nil { reason = failure }
            return reason!
        }
    }

    /// Marks the client closed; false when it already was.
    func closeByClient() -> Bool {
        lock.withLock {
            guard !closedByClient else { return false }
            closedByClient = true
            reason = .clientClosed
            return true
        }
    }
}

/// A thread-safe counter for request ids.
final class NIOLockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
