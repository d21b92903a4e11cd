import FraudScreenCore
import Foundation
import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The screening daemon: event loops (one per core) accepting on a Unix socket, each with its own
/// `Screener`; a shared, atomically swapped `RuleSet`; the report store; reload, statistics and the
/// SIGTERM drain. `fraudscreend` is a thin command around it.
public final class ScreeningServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let store: RuleSetStore
    let reportStore: ReportStore?
    let decoder = RequestDecoder()
    let logger: Logger

    private let group: MultiThreadedEventLoopGroup
    private let loops: [ObjectIdentifier: LoopContext]
    private let loopList: [(loop: EventLoop, context: LoopContext)]
    /// One thread, so reloads run one at a time and never on an event loop.
    private let reloadPool: NIOThreadPool
    private let connections = Locked(ConnectionRegistry())
    private let listeners = Locked([Channel]())
    private let createdSocketFiles = Locked([String]())
    private let notifier: SystemdNotifier
    private let startedAt = Date()
    private let watchdog = Locked<RepeatedTask?>(nil)

    /// Loads the rule set and opens the report store; throws `RuleSetError` for a broken rule set (the
    /// daemon then refuses to start: it has nothing to serve).
    public init(configuration: ServerConfiguration, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configuration = configuration
        self.logger = logger
        notifier = SystemdNotifier(environment: environment)
        let started = NIODeadline.now()
        let ruleSet = try RuleSetLoader.load(directory: configuration.rulesDirectory)
        store = RuleSetStore(ruleSet)
        logger.info("rule set loaded", metadata: [
            "version": "\(ruleSet.version)", "rules": "\(ruleSet.rules.count)",
            "elapsed_ms": "\((NIODeadline.now() - started).nanoseconds / 1_000_000)",
        ])
        for warning in ruleSet.warnings { logger.warning("rule set: \(warning)") }
        reportStore = try configuration.reportsDirectory.map { try ReportStore(directory: $0) }
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads ?? ServerConfiguration.defaultThreads)
        var loopList: [(loop: EventLoop, context: LoopContext)] = []
        for loop in group.makeIterator() {
            loopList.append((loop, try loop.submit { [store] in LoopContext(store: store) }.wait()))
        }
        self.loopList = loopList
        loops = Dictionary(uniqueKeysWithValues: loopList.map { (ObjectIdentifier($0.loop), $0.context) })
        reloadPool = NIOThreadPool(numberOfThreads: 1)
        reloadPool.start()
    }

    // MARK: Starting

    /// Starts listening: on the inherited sockets when given (socket activation), otherwise on
    /// `configuration.socketPath`. Returns once the daemon accepts connections, after telling systemd.
    public func start(inheritedListeners: [CInt] = [], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let warning = DescriptorLimit.raise(toServe: configuration.maxConnections) { logger.warning("\(warning)") }
        var channels: [Channel] = []
        do {
            try listen(inheritedListeners: inheritedListeners, into: &channels)
        } catch {
            // A later listener failed (the metrics socket is taken): leave nothing behind of the earlier ones.
            for channel in channels { try? channel.close().wait() }
            for path in createdSocketFiles.withLock({ $0 }) { unlink(path) }
            createdSocketFiles.withLock { $0.removeAll() }
            throw error
        }
        listeners.withLock { $0 = channels }
        let version = store.current.ruleSet.version
        notifier.notify("READY=1\nSTATUS=serving rule set \(version)\nMAINPID=\(getpid())")
        startWatchdog(environment: environment)
    }

    private func listen(inheritedListeners: [CInt], into channels: inout [Channel]) throws {
        if !inheritedListeners.isEmpty {
            for fd in inheritedListeners {
                channels.append(try serverBootstrap().withBoundSocket(fd).wait())
                logger.info("listening on inherited socket", metadata: ["fd": "\(fd)"])
            }
        } else if let path = configuration.socketPath {
            try SocketFile.prepare(path)
            let channel = try SocketFile.bindRestricted(path, mode: configuration.socketMode, group: configuration.socketGroup) {
                try serverBootstrap().bind(unixDomainSocketPath: path).wait()
            }
            createdSocketFiles.withLock { $0.append(path) }
            channels.append(channel)
            logger.info("listening", metadata: ["socket": "\(path)", "mode": "\(String(configuration.socketMode, radix: 8))"])
        } else {
            throw SocketFile.Failure(description: "no socket: give --socket PATH or start under systemd socket activation")
        }
        if let path = configuration.metricsSocketPath {
            try SocketFile.prepare(path)
            let metrics = ServerBootstrap(group: group)
                .serverChannelInitializer { channel in self.pauseAcceptingWhenExhausted(channel) }
                // A scraper whose input is empty (`socat … < /dev/null` in a cron job) shuts down its side at
                // once; the text is written when the statistics arrive, so the connection must outlive that.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(MetricsHandler(server: self)) }
                }
            let channel = try SocketFile.bindRestricted(path, mode: configuration.socketMode, group: configuration.socketGroup) {
                try metrics.bind(unixDomainSocketPath: path).wait()
            }
            createdSocketFiles.withLock { $0.append(path) }
            channels.append(channel)
            logger.info("metrics socket listening", metadata: ["socket": "\(path)"])
        }
    }

    /// Listeners pause accepting when descriptors run out (`AcceptPauseHandler`).
    private func pauseAcceptingWhenExhausted(_ channel: Channel) -> EventLoopFuture<Void> {
        let logger = self.logger
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(logger: logger))
        }
    }

    private func serverBootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1_024)
            .serverChannelInitializer { channel in self.pauseAcceptingWhenExhausted(channel) }
            // One read of at most 16 KiB per wake-up: a connection held back (`ConnectionHandler.read`) has at most
            // that read ahead of screening besides its unfinished line. With up to four 64 KiB reads per wake-up,
            // 1,000 clients flooding 64 KiB lines and never reading their answers cost 589 KB each (654 MB in
            // all); with this, 32 KiB below and the daemon's malloc threshold, 258 KB (313 MB). Pipelined and
            // unpipelined throughput did not drop (docs/BENCHMARKS.md).
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1_024, initial: 16_384, maximum: 16_384))
            // Unsent answers a connection may pile up before it stops being screened (with `maxHeldBytes`): at
            // 256 KiB a thousand connections that never read their answers reached 945 MB.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 * 1_024, high: 32 * 1_024))
            // A client that sends its requests and shuts down its side (`printf … | socat`, `nc -N`) still gets
            // every answer: end of input is an event, and the connection closes once all are written.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in self.initialize(channel) }
    }

    private func initialize(_ channel: Channel) -> EventLoopFuture<Void> {
        let limit = configuration.maxConnections
        guard let number = connections.withLock({ $0.admit(channel, limit: limit) }) else {
            logger.warning("connection refused: max_connections reached", metadata: ["max_connections": "\(limit)"])
            // Counted like every other error answer (`errors.overloaded` in stats and metrics); this runs on the
            // channel's own loop, whose statistics these are.
            loops[ObjectIdentifier(channel.eventLoop)]?.statistics.count(.overloaded)
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RefusingHandler(message: "too many connections (max \(limit)); retry later"))
            }
        }
        channel.closeFuture.whenComplete { _ in self.connections.withLock { $0.remove(channel) } }
        let loop = loops[ObjectIdentifier(channel.eventLoop)]!
        var logger = self.logger
        // A number, not an address: addresses are reused, and two connections in one log looked like one.
        logger[metadataKey: "connection"] = "\(number)"
        let handler = ConnectionHandler(server: self, loop: loop, logger: logger)
        let idle = configuration.idleTimeoutSeconds
        return channel.eventLoop.makeCompletedFuture {
            if idle > 0 {
                try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(Int64(idle))))
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    private func startWatchdog(environment: [String: String]) {
        guard let micros = SystemdNotifier.watchdogInterval(environment: environment) else { return }
        let interval = TimeAmount.microseconds(micros / 2)
        let loop = group.next()
        // The ping goes out only when every event loop has run a task, so a wedged loop stops the pings
        // and systemd restarts the daemon.
        let task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let probes = self.group.makeIterator().map { $0.submit {} }
            EventLoopFuture.andAllSucceed(probes, on: loop).whenSuccess { self.notifier.notify("WATCHDOG=1") }
        }
        watchdog.withLock { $0 = task }
        logger.info("systemd watchdog enabled", metadata: ["interval_ms": "\(micros / 2_000)"])
    }

    // MARK: Reload

    /// Loads the rule set anew, off the event loops, and swaps it in. A broken rule set is rejected
    /// (`rules_rejected`, with file, line and rule), logged, and the current one keeps serving.
    public func reload(reason: String, on eventLoop: EventLoop) -> EventLoopFuture<ReloadOutcome> {
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds)\nSTATUS=reloading rules")
        let directory = configuration.rulesDirectory
        let started = NIODeadline.now()
        return reloadPool.runIfActive(eventLoop: eventLoop) { () throws -> ReloadOutcome in
            let ruleSet: RuleSet
            do {
                ruleSet = try RuleSetLoader.load(directory: directory)
            } catch {
                let message = "\(error)"
                self.store.recordFailure(message)
                self.logger.error("reload rejected: rule set is broken, previous rule set keeps serving",
                                  metadata: ["reason": "\(reason)", "error": "\(message)"])
                self.notifier.notify("READY=1\nSTATUS=reload rejected (\(message)); serving \(self.store.current.ruleSet.version)")
                throw ProtocolError(.rulesRejected, "rule set rejected, previous rule set keeps serving: \(message)")
            }
            let previous = self.store.install(ruleSet)
            let outcome = ReloadOutcome(version: ruleSet.version, previousVersion: previous.version, ruleCount: ruleSet.rules.count,
                                        elapsedMilliseconds: Int((NIODeadline.now() - started).nanoseconds / 1_000_000))
            self.logger.info("rule set reloaded", metadata: [
                "reason": "\(reason)", "version": "\(outcome.version)", "previous": "\(outcome.previousVersion)",
                "rules": "\(outcome.ruleCount)", "elapsed_ms": "\(outcome.elapsedMilliseconds)",
            ])
            self.notifier.notify("READY=1\nSTATUS=serving rule set \(ruleSet.version)")
            return outcome
        }
    }

    /// Reload for SIGHUP: the result is only logged.
    public func reloadFromSignal() {
        reload(reason: "SIGHUP", on: group.next()).whenComplete { _ in }
    }

    // MARK: Statistics

    /// Collects every loop's counters (each read on its own loop) and the daemon-wide figures.
    func statistics(on eventLoop: EventLoop) -> EventLoopFuture<StatisticsSnapshot> {
        let collected = loopList.map { entry in entry.loop.submit { entry.context.statisticsSnapshot } }
        return EventLoopFuture.whenAllSucceed(collected, on: eventLoop).map { perLoop in
            var snapshot = StatisticsSnapshot()
            for statistics in perLoop { snapshot.loops.merge(statistics) }
            let current = self.store.current
            snapshot.rulesVersion = current.ruleSet.version
            snapshot.rulesLoadedAt = ReportStore.iso8601(current.loadedAt)
            snapshot.rules = current.ruleSet.rules.count
            snapshot.uptimeSeconds = Date().timeIntervalSince(self.startedAt)
            self.connections.withLock {
                snapshot.openConnections = $0.open.count
                snapshot.totalConnections = $0.total
                snapshot.refusedConnections = $0.refused
            }
            let reloads = self.store.reloadCounters
            snapshot.reloadsSucceeded = reloads.succeeded
            snapshot.reloadsFailed = reloads.failed
            snapshot.lastReloadError = reloads.lastError
            return snapshot
        }
    }

    // MARK: Stopping

    /// SIGTERM: stop accepting, answer every request already read, flush reports, stop the loops.
    /// Connections still busy after `drainTimeoutSeconds` are closed.
    public func drainAndStop() {
        notifier.notify("STOPPING=1\nSTATUS=draining connections")
        logger.info("draining: no new connections, answering what was received")
        watchdog.withLock { $0?.cancel(); $0 = nil }
        for listener in listeners.withLock({ $0 }) { try? listener.close().wait() }
        for path in createdSocketFiles.withLock({ $0 }) { unlink(path) }
        let open = connections.withLock { $0.beginDraining() }
        for channel in open {
            channel.eventLoop.execute { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        }
        let done = DispatchSemaphore(value: 0)
        EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: group.next()).whenComplete { _ in done.signal() }
        if done.wait(timeout: .now() + .seconds(configuration.drainTimeoutSeconds)) == .timedOut {
            let left = connections.withLock { Array($0.open.values) }
            logger.warning("drain timed out; closing the remaining connections", metadata: ["connections": "\(left.count)"])
            for channel in left { channel.close(promise: nil) }
        }
        reportStore?.close()
        try? reloadPool.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
        logger.info("stopped")
    }
}
