import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A connection to `fraudscreend`. Requests may be pipelined: call `send` as often as you like without
/// waiting; each future completes with its own answer (the daemon answers in order).
public final class DaemonClient: Sendable {
    /// Connecting failed, the connection broke, or an answer was not JSON.
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

        public var message: String
        public var description: String { message }
    }

    private let channel: Channel
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let counter = NIOLockedCounter()

    private init(channel: Channel, ownedGroup: MultiThreadedEventLoopGroup?) {
        self.channel = channel
        self.ownedGroup = ownedGroup
    }

    /// Connects to the daemon's socket. Without a `group` the client runs its own one-thread event loop.
    public static func connect(socketPath: String, group: EventLoopGroup? = nil) throws -> DaemonClient {
        let owned = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let bootstrap = ClientBootstrap(group: group ?? owned!)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AnswerLineHandler()) }
            }
        do {
            let channel = try bootstrap.connect(unixDomainSocketPath: socketPath).wait()
            return DaemonClient(channel: channel, ownedGroup: owned)
        } catch {
            try? owned?.syncShutdownGracefully()
            throw Failure(message: "cannot connect to \(socketPath): \(Failure.reason(error))")
        }
    }

    /// Sends a request with a fresh id (`c1`, `c2`, …) and returns its answer.
    public func send(_ request: ClientRequest) -> EventLoopFuture<Answer> {
        let id = "c\(counter.next())"
        return sendLine(request.line(id: id)).flatMapThrowing { line in
            guard let answer = Answer(line: line) else { throw Failure(message: "answer is not a JSON object: \(line)") }
            return answer
        }
    }

    /// Sends one raw line (no newline; it is added) and returns the raw answer line. For tests and tools
    /// that want to send exactly what they built.
    public func sendLine(_ line: [UInt8]) -> EventLoopFuture<String> {
        let promise = channel.eventLoop.makePromise(of: String.self)
        channel.writeAndFlush(AnswerLineHandler.OutgoingRequest(line: line, promise: promise)).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    /// Sends a request and waits for its answer.
    public func call(_ request: ClientRequest) async throws -> Answer {
        try await send(request).get()
    }

    /// Closes the connection (and the client's own event loop, if it has one).
    public func close() {
        try? channel.close().wait()
        try? ownedGroup?.syncShutdownGracefully()
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
