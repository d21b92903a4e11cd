import Foundation
import NIOCore
import NIOPosix

/// Drives the daemon with load and measures it: what `fraudscreen bench` runs.
///
/// Closed loop (default): every connection keeps `pipeline` requests in flight, sending a new one for each
/// answer. Open loop (`rate`): requests leave on a fixed schedule whatever the answers do, and latency is
/// measured from the scheduled send time, so a stalled daemon cannot hide its queueing delay
/// (no coordinated omission). Answers are counted, not parsed: the generator shares the machine.
///
/// What is measured is the requests sent (open loop: scheduled) inside the window, whenever their answers
/// come: an answer after the window still counts with its full latency, and a request of the window left
/// unanswered two seconds after it is reported as unanswered. (Selecting by answer time dropped exactly the
/// requests a stall delayed past the end.)
public enum LoadGenerator {
    public struct Options: Sendable {
        public var socketPath: String
        public var connections = 32
        /// Requests in flight per connection (closed loop), or the cap on them (open loop).
        public var pipeline = 16
        public var duration: Double = 10
        /// Seconds at the start not measured (connections warm up, caches fill).
        public var warmup: Double = 1
        /// Total requests per second offered (open loop); nil for closed loop.
        public var rate: Double?
        /// Request lines (without newline) sent round-robin.
        public var requests: [[UInt8]]
        /// Event-loop threads of the generator. One per core by default: each connection waits for its answer
        /// to be read before it sends again, and with one thread every answer waited for that thread. On this
        /// 2-core machine a second thread raised unpipelined throughput by 15–20 % (docs/BENCHMARKS.md).
        public var threads = System.coreCount

        public init(socketPath: String, requests: [[UInt8]]) {
            self.socketPath = socketPath
            self.requests = requests
        }
    }

    public struct Report: Sendable {
        /// Requests sent (scheduled) inside the measured window and answered, whenever the answer came.
        public var answered: Int
        /// Those answered with an error.
        public var errors: Int
        /// Requests an open-loop schedule could not send because `pipeline` were already in flight.
        public var skipped: Int
        /// Requests sent in the window without an answer two seconds after it: the daemon stalled or lost them.
        public var unanswered: Int
        /// Connections the daemon refused or closed before the end of the run.
        public var lostConnections: Int
        public var seconds: Double
        public var requestsPerSecond: Double { seconds > 0 ? Double(answered) / seconds : 0 }
        /// Latency percentiles in microseconds.
        public var p50: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
        /// Open loop: how late the generator itself sent the measured requests after their scheduled times, p50
        /// and p99 in microseconds (nil in closed loop). The latency above includes this lateness: on a machine
        /// whose idle cores take tens of microseconds to wake for a timer, it is the generator's share of it.
        public var sendDelay: (p50: Double, p99: Double)?
    }

    /// Runs the load and returns the figures of the measured window.
    public static func run(_ options: Options) throws -> Report {
        precondition(!options.requests.isEmpty, "no requests to send")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        defer { try? group.syncShutdownGracefully() }
        let start = NIODeadline.now()
        let measureFrom = start + .nanoseconds(Int64(options.warmup * 1e9))
        let stopAt = measureFrom + .nanoseconds(Int64(options.duration * 1e9))
        var handlers: [LoadConnectionHandler] = []
        var channels: [Channel] = []
        for index in 0..<options.connections {
            // Open loop: connection i starts i/n of a period late, so the connections' requests interleave evenly
            // instead of all leaving together once a period (bursts n times the offered rate).
            let handler = LoadConnectionHandler(options: options, offset: index * 7919, measureFrom: measureFrom, stopAt: stopAt,
                                                ratePerConnection: options.rate.map { $0 / Double(options.connections) },
                                                phase: Double(index) / Double(options.connections))
            handlers.append(handler)
            let bootstrap = ClientBootstrap(group: group)
                .channelOption(.writeBufferWaterMark, value: .init(low: 256 * 1_024, high: 1_024 * 1_024))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
            do {
                channels.append(try bootstrap.connect(unixDomainSocketPath: options.socketPath).wait())
            } catch {
                for channel in channels { channel.close(promise: nil) }
                throw DaemonClient.Failure(message: "cannot connect to \(options.socketPath): \(DaemonClient.Failure.reason(error))")
            }
        }
        // Wait out the run plus a grace period for the last answers.
        let end = stopAt + .seconds(2)
        while NIODeadline.now() < end, channels.contains(where: { $0.isActive }) {
            Thread.sleep(forTimeInterval: 0.05)
            if NIODeadline.now() > stopAt,
               try handlers.allSatisfy({ handler in try handler.eventLoopBound { $0.isSettled } }) { break }
        }
        for channel in channels { try? channel.close().wait() }

        var latencies: [UInt32] = []
        var sendDelays: [UInt32] = []
        var answered = 0, errors = 0, skipped = 0, unanswered = 0
        var brokenConnections = 0
        for handler in handlers {
            let result = try handler.eventLoopBound {
                ($0.latencies, $0.answered, $0.errors, $0.skipped, $0.broken, $0.unansweredInWindow, $0.sendDelays)
            }
            latencies.append(contentsOf: result.0)
            sendDelays.append(contentsOf: result.6)
            answered += result.1
            errors += result.2
            skipped += result.3
            if result.4 { brokenConnections += 1 }
            unanswered += result.5
        }
        if brokenConnections > 0 && answered == 0 {
            throw DaemonClient.Failure(message: "\(brokenConnections) connections were closed by the daemon")
        }
        latencies.sort()
        sendDelays.sort()
        return Report(answered: answered, errors: errors, skipped: skipped, unanswered: unanswered,
                      lostConnections: brokenConnections, seconds: options.duration,
                      p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999),
                      max: Double(latencies.last ?? 0),
                      sendDelay: options.rate == nil ? nil : (percentile(sendDelays, 0.5), percentile(sendDelays, 0.99)))
    }

    /// The value at quantile `q` of ascending `sorted` values (nearest rank), 0 for none.
    static func percentile(_ sorted: [UInt32], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = Swift.min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
        return Double(sorted[Swift.max(0, index)])
    }
}

/// One load connection. All state lives on the connection's event loop.
final class LoadConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let options: LoadGenerator.Options
    private let measureFrom: NIODeadline
    private let stopAt: NIODeadline
    private let ratePerConnection: Double?
    private var next: Int
    private var context: ChannelHandlerContext?
    private var buffer = ByteBuffer()
    private var outgoing = ByteBuffer()
    private static let errorMarker = Array("\"error\":{".utf8)

    /// Whether the start of an answer holds `"error":{`: compared only where a quote is (a handful of places),
    /// not at every offset.
    static func isErrorAnswer(_ head: UnsafeRawBufferPointer) -> Bool {
        guard let base = head.baseAddress else { return false }
        var from = 0
        while head.count - from >= errorMarker.count, let quote = memchr(base + from, 0x22, head.count - from) {
            let at = UnsafeRawPointer(quote) - base
            guard head.count - at >= errorMarker.count else { return false }
            if memcmp(base + at, errorMarker, errorMarker.count) == 0 { return true }
            from = at + 1
        }
        return false
    }
    /// Send (or scheduled) times of the requests in flight, oldest first, and whether each is measured (it was
    /// sent, or scheduled, inside the window).
    private var sentAt = CircularBuffer<(time: NIODeadline, measured: Bool)>()
    /// Fraction of a period this connection's open-loop schedule starts late.
    private let phase: Double
    private var scheduled = 0
    private var ticker: Scheduled<Void>?
    private var openLoopStart = NIODeadline.now()

    private(set) var latencies: [UInt32] = []
    /// Open loop: microseconds each measured request left after its scheduled time.
    private(set) var sendDelays: [UInt32] = []
    private(set) var answered = 0
    private(set) var errors = 0
    private(set) var skipped = 0
    private(set) var broken = false
    var unansweredInWindow: Int { sentAt.reduce(0) { $0 + ($1.measured ? 1 : 0) } }
    /// Nothing more will come: every request answered, or the connection gone.
    var isSettled: Bool { sentAt.isEmpty || inactive }
    private var inactive = false

    init(options: LoadGenerator.Options, offset: Int, measureFrom: NIODeadline, stopAt: NIODeadline, ratePerConnection: Double?,
         phase: Double = 0) {
        self.options = options
        self.phase = phase
        self.next = offset % options.requests.count
        self.measureFrom = measureFrom
        self.stopAt = stopAt
        self.ratePerConnection = ratePerConnection
        latencies.reserveCapacity(1 << 16)
        if ratePerConnection != nil { sendDelays.reserveCapacity(1 << 16) }
    }

    /// Runs `body` on the handler's event loop and waits for its result.
    func eventLoopBound<T: Sendable>(_ body: @escaping @Sendable (LoadConnectionHandler) -> T) throws -> T {
        guard let loop = context?.eventLoop else { return body(self) }
        return try loop.submit { body(self) }.wait()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outgoing = context.channel.allocator.buffer(capacity: 16_384)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let rate = ratePerConnection {
            openLoopStart = NIODeadline.now()
            scheduleNext(rate: rate, on: context.eventLoop)
        } else {
            for _ in 0..<options.pipeline { enqueue(at: NIODeadline.now()) }
            flush()
        }
        context.fireChannelActive()
    }

    /// Open loop: request k is due at `openLoopStart + k / rate`. One timer per request (NIO timers have
    /// sub-millisecond precision), so the schedule itself adds no latency.
    private func intendedTime(of k: Int, rate: Double) -> NIODeadline {
        openLoopStart + .nanoseconds(Int64((Double(k) + phase) / rate * 1e9))
    }

    private func scheduleNext(rate: Double, on loop: EventLoop) {
        let next = intendedTime(of: scheduled, rate: rate)
        guard next < stopAt, !broken else { return }
        let this = NIOLoopBound(self, eventLoop: loop)
        ticker = loop.scheduleTask(deadline: next) { this.value.fire(rate: rate, on: loop) }
    }

    /// Sends every request whose time has come (several when the loop was late), then waits for the next.
    private func fire(rate: Double, on loop: EventLoop) {
        let now = NIODeadline.now()
        while true {
            let intended = intendedTime(of: scheduled, rate: rate)
            guard intended <= now, intended < stopAt else { break }
            scheduled += 1
            if sentAt.count >= options.pipeline {
                if intended >= measureFrom { skipped += 1 }
                continue
            }
            if intended >= measureFrom { sendDelays.append(UInt32(clamping: (now - intended).nanoseconds / 1_000)) }
            enqueue(at: intended)
        }
        flush()
        scheduleNext(rate: rate, on: loop)
    }

    private func enqueue(at time: NIODeadline) {
        outgoing.writeBytes(options.requests[next])
        outgoing.writeInteger(UInt8(ascii: "\n"))
        next = (next + 1) % options.requests.count
        sentAt.append((time, time >= measureFrom && time < stopAt))
    }

    private func flush() {
        guard outgoing.readableBytes > 0, let context else { return }
        context.writeAndFlush(wrapOutboundOut(outgoing), promise: nil)
        outgoing.clear()  // no allocation once the socket has taken the bytes (the usual case)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer.readableBytes == 0 { buffer = incoming } else { buffer.writeBuffer(&incoming) }
        let now = NIODeadline.now()
        while let length = buffer.withUnsafeReadableBytes({ bytes in
            memchr(bytes.baseAddress!, 0x0A, bytes.count).map { UnsafeRawPointer($0) - bytes.baseAddress! }
        }) {
            // `{"id":…,"error":{` — an error answer names `error` within its first bytes. (A plain byte search:
            // the generator shares the cores with the daemon it measures, so its own costs count.)
            let isError = buffer.withUnsafeReadableBytes { bytes in
                LoadConnectionHandler.isErrorAnswer(UnsafeRawBufferPointer(rebasing: bytes[..<Swift.min(length, 80)]))
            }
            buffer.moveReaderIndex(forwardBy: length + 1)
            guard let sent = sentAt.popFirst() else { continue }
            if sent.measured {
                answered += 1
                if isError { errors += 1 }
                latencies.append(UInt32(clamping: (now - sent.time).nanoseconds / 1_000))
            }
            if ratePerConnection == nil, now < stopAt { enqueue(at: now) }
        }
        buffer.discardReadBytes()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        ticker?.cancel()
        if NIODeadline.now() < stopAt { broken = true }
        inactive = true
        // What was in flight stays counted as unanswered.
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if NIODeadline.now() < stopAt { broken = true }  // after the window, what is in flight counts as unanswered
        context.close(promise: nil)
    }
}
