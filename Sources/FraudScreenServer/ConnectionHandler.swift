import FraudScreenCore
import Foundation
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Tells a connection to finish: answer every complete request already read, then close (SIGTERM).
struct DrainEvent: Sendable {}

/// One client connection: newline framing, decoding, screening on the connection's event loop, answers in
/// request order, and the limits that keep a connection's memory bounded whatever the client sends.
///
/// Throughput comes from batching (docs/PROTOCOL.md, "Performance"): everything a read delivered is decoded
/// and screened, the answers are appended to one buffer, and that buffer is written and flushed once.
/// At most `batchSize` requests are screened before the loop serves other connections, and the handler
/// stops reading (holds back `read`) while a batch is pending, while `maxInFlight` answers are waiting,
/// or while the client is not reading its answers (the channel is not writable).
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ScreeningServer
    private let loop: LoopContext
    private let configuration: ServerConfiguration
    private let logger: Logger

    /// Largest output buffer kept between flushes (a connection's idle memory stays small).
    static let reusedOutputCapacity = 65_536
    /// Answer and report bytes a connection may hold before it screens no more of its requests: answers not
    /// yet handed to the channel (the channel's own high-water mark bounds what it holds), answers waiting
    /// behind an earlier request, and reports waiting for their fsync. Counting requests alone let 256 entity-
    /// heavy answers, or a report flood on a slow disk, hold hundreds of megabytes per connection.
    static let maxHeldBytes = 32_768

    /// Bytes read and not yet framed.
    private var input = ByteBuffer()
    /// How far into `input` a newline has already been looked for (long partial lines are not rescanned).
    private var searched = 0
    /// Inside a line longer than `maxLineBytes`: drop bytes up to the next newline.
    private var discardingOversizedLine = false
    /// When the unfinished line at the end of `input` began (nil when `input` ends a line).
    private var unfinishedLineSince: NIODeadline?
    /// Answers ready to write; flushed once per batch.
    private var output = ByteBuffer()
    /// Answers held back behind an earlier request that is not answered yet (reports, stats, reload),
    /// in request order; `nil` marks one still being worked on. Answers leave strictly from the front.
    private var waiting = CircularBuffer<ByteBuffer?>()
    private var waitingBase = 0
    /// Bytes of the answers in `waiting` and of reports not yet stored.
    private var heldElsewhere = 0
    private var heldBytes: Int { output.readableBytes + heldElsewhere }

    private var readHeldBack = false
    /// Answers read in this round wait for the loop's write pass.
    private var flushDeferred = false
    private var batchScheduled = false
    private var processing = false
    private var draining = false
    private var closed = false
    private var context: ChannelHandlerContext?
    private var peer: PeerCredentials?
    /// Decided on the first admin request, not per connection: a group decision can need the user database
    /// (supplementary groups), and on a bank's hosts that can be a directory service answering in milliseconds.
    private var admin: Bool?
    private var isAdmin: Bool {
        if let admin { return admin }
        let decided = peer?.isAdmin(adminUID: configuration.adminUID, adminGID: configuration.adminGID) ?? false
        admin = decided
        return decided
    }

    init(server: ScreeningServer, loop: LoopContext, logger: Logger) {
        self.server = server
        self.loop = loop
        self.configuration = server.configuration
        self.logger = logger
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        output = context.channel.allocator.buffer(capacity: 4_096)
        input = context.channel.allocator.buffer(capacity: 0)
    }

    func channelActive(context: ChannelHandlerContext) {
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        PeerCredentials.of(context.channel).whenComplete { result in
            let handler = this.value
            switch result {
            case .success(let credentials):
                handler.peer = credentials
                handler.logger.debug("connection opened", metadata: [
                    "peer_uid": "\(credentials.uid)", "peer_gid": "\(credentials.gid)", "peer_pid": "\(credentials.pid)",
                ])
            case .failure(let error):
                // Without credentials nobody on this connection is admin; everything else still works.
                handler.logger.warning("cannot read peer credentials", metadata: ["error": "\(error)"])
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed = true
        self.context = nil
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if discardingOversizedLine {
            // Only the part after the oversized line's newline is kept.
            guard let newline = bytes.withUnsafeReadableBytes({ $0.firstIndex(of: 0x0A) }) else { return }
            bytes.moveReaderIndex(forwardBy: newline + 1)
            discardingOversizedLine = false
        }
        let completesALine = bytes.withUnsafeReadableBytes { $0.count > 0 && memchr($0.baseAddress!, 0x0A, $0.count) != nil }
        if input.readableBytes == 0 {
            input = bytes
            searched = 0
        } else {
            input.writeBuffer(&bytes)
        }
        // A line must be finished within `idle_timeout` of its first byte: a byte now and then is not a request
        // (ten clients trickling one byte every two seconds held every connection slot for good).
        let endsUnfinished = input.readableBytes > 0 && input.getInteger(at: input.writerIndex - 1, as: UInt8.self) != 0x0A
        if !endsUnfinished {
            unfinishedLineSince = nil
        } else if completesALine || unfinishedLineSince == nil {
            unfinishedLineSince = .now()
        } else if configuration.idleTimeoutSeconds > 0, let since = unfinishedLineSince,
                  NIODeadline.now() - since > .seconds(Int64(configuration.idleTimeoutSeconds)) {
            logger.notice("closing a connection whose line stayed unfinished for the idle timeout", metadata: [
                "idle_timeout_s": "\(configuration.idleTimeoutSeconds)", "unfinished_line_bytes": "\(input.readableBytes)",
            ])
            input.clear()
            context.close(promise: nil)
            return
        }
        processBatch()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if output.readableBytes > 0, !flushDeferred {
            flushDeferred = true
            loop.flushAfterReads(self, on: context.eventLoop)
        }
        context.fireChannelReadComplete()
    }

    /// The loop's write pass after a round of reads (`LoopContext.flushAfterReads`).
    func flushDeferredOutput() {
        flushDeferred = false
        flushOutput()
    }

    func read(context: ChannelHandlerContext) {
        if mustHoldBackReads {
            readHeldBack = true
        } else {
            context.read()
        }
    }

    private var mustHoldBackReads: Bool {
        draining || closed || batchScheduled || waiting.count >= configuration.maxInFlight
            || heldBytes >= ConnectionHandler.maxHeldBytes || !(context?.channel.isWritable ?? false)
    }

    private func resumeReadingIfPossible() {
        guard readHeldBack, !mustHoldBackReads, let context else { return }
        readHeldBack = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            processBatch()
            flushOutput()
            resumeReadingIfPossible()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            drain()
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // The client has sent everything: a last line without its newline is still a request (the end of
            // the stream ends it), and once every request is answered the connection closes.
            if discardingOversizedLine {
                discardingOversizedLine = false
            } else if input.readableBytes > 0, !hasCompleteLine(from: input.readableBytes - 1) {
                input.writeInteger(UInt8(ascii: "\n"))
            }
            drain()
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            // Nothing came in and nothing could be written for `idle_timeout`. An unfinished line counts as idle
            // too (a client that sends half a request and stops must not hold a `max_connections` slot for ever),
            // and so does a client that stopped reading its answers: the daemon holds back its requests and cannot
            // write, and would otherwise keep the connection, and its buffers, for as long as the client likes.
            // Only work of the daemon's own (reports being stored, stats, reload) keeps an idle connection open.
            guard waiting.isEmpty else { return }
            if hasCompleteLine || output.readableBytes > 0 || !context.channel.isWritable {
                logger.notice("closing a connection whose client stopped reading its answers", metadata: [
                    "idle_timeout_s": "\(configuration.idleTimeoutSeconds)",
                    "unread_requests": "\(hasCompleteLine ? "some" : "none")",
                ])
            } else {
                logger.debug("closing idle connection", metadata: input.readableBytes > 0 ? ["unfinished_line_bytes": "\(input.readableBytes)"] : [:])
            }
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Answers every complete request already read, then closes (`closeIfDrained`); reads no more.
    private func drain() {
        draining = true
        processBatch()
        flushOutput()
        closeIfDrained()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Framing

    /// Frames and answers up to `batchSize` requests, then yields the loop to other connections if more
    /// complete lines are buffered.
    private func processBatch() {
        // An answer completed from inside a batch (an already-completed future) must not start another
        // batch while this one is still reading `input`.
        guard !closed, !processing, let context else { return }
        processing = true
        defer { processing = false }
        var handled = 0
        while handled < configuration.batchSize, waiting.count < configuration.maxInFlight, heldBytes < ConnectionHandler.maxHeldBytes,
              context.channel.isWritable {
            guard input.readableBytes > 0 else { break }
            let newline = input.withUnsafeReadableBytes { bytes -> Int? in
                guard searched < bytes.count else { return nil }
                let found = memchr(bytes.baseAddress! + searched, 0x0A, bytes.count - searched)
                return found.map { UnsafeRawPointer($0) - bytes.baseAddress! }
            }
            guard let newline else {
                searched = input.readableBytes
                // One byte more is still a line of `maxLineBytes` when it is the `\r` of a `\r\n` still to come.
                let partial = input.readableBytes
                if partial > configuration.maxLineBytes + 1
                    || (partial == configuration.maxLineBytes + 1 && input.getInteger(at: input.writerIndex - 1, as: UInt8.self) != 0x0D) {
                    // Answered now, so the client learns at once; the rest of the line is dropped as it comes.
                    answerError(id: nil, ProtocolError(.tooLarge, "request line longer than \(configuration.maxLineBytes) bytes; skipped"))
                    input.clear()
                    searched = 0
                    discardingOversizedLine = true
                }
                break
            }
            searched = 0
            var length = newline
            if length > 0, input.getInteger(at: input.readerIndex + length - 1, as: UInt8.self) == 0x0D { length -= 1 }
            if length > configuration.maxLineBytes {
                answerError(id: nil, ProtocolError(.tooLarge, "request line longer than \(configuration.maxLineBytes) bytes; skipped"))
            } else if !isBlank(length) {
                input.withUnsafeReadableBytes { bytes in
                    handleLine(UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
                }
            }
            input.moveReaderIndex(forwardBy: newline + 1)
            handled += 1
        }
        if input.readableBytes == 0 {
            input.clear()
        } else if input.readerIndex > 65_536 {
            input.discardReadBytes()
        }
        processing = false
        scheduleNextBatchIfNeeded()
    }

    /// Blank lines are not requests (and get no answer): they keep `nc` sessions and keep-alives harmless.
    private func isBlank(_ length: Int) -> Bool {
        input.withUnsafeReadableBytes { bytes in
            for i in 0..<length where bytes[i] != 0x20 && bytes[i] != 0x09 && bytes[i] != 0x0D { return false }
            return true
        }
    }

    private var hasCompleteLine: Bool { hasCompleteLine(from: 0) }

    /// Whether a newline is in the buffered input at or after `offset`.
    private func hasCompleteLine(from offset: Int) -> Bool {
        input.withUnsafeReadableBytes { bytes in
            offset < bytes.count && memchr(bytes.baseAddress! + offset, 0x0A, bytes.count - offset) != nil
        }
    }

    private func scheduleNextBatchIfNeeded() {
        guard !batchScheduled, !closed, let context, waiting.count < configuration.maxInFlight,
              heldBytes < ConnectionHandler.maxHeldBytes, context.channel.isWritable, hasCompleteLine else {
            if !batchScheduled { closeIfDrained() }
            resumeReadingIfPossible()
            return
        }
        batchScheduled = true
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = this.value
            handler.batchScheduled = false
            handler.processBatch()
            handler.flushOutput()
        }
    }

    // MARK: Answering

    private func handleLine(_ line: UnsafeRawBufferPointer) {
        let started = NIODeadline.now()
        let (id, result) = server.decoder.decode(line)
        let request: Request
        switch result {
        case .failure(let error):
            loop.statistics.count(.invalid)
            answerError(id: id, error)
            return
        case .success(let decoded):
            request = decoded
        }
        switch request.operation {
        case .screenMessage(let message):
            loop.statistics.count(.screenMessage)
            let verdict = screener(listingEntities: request.listsEntities).screen(message.text)
            answerVerdict(id: request.id, verdict, started: started)
        case .screenTransaction(let transaction):
            loop.statistics.count(.screenTransaction)
            let verdict = screener(listingEntities: request.listsEntities).screen(Document(transaction: transaction))
            answerVerdict(id: request.id, verdict, started: started)
        case .report(let report):
            loop.statistics.count(.report)
            handleReport(id: request.id, report, listingEntities: request.listsEntities, started: started)
        case .ping:
            loop.statistics.count(.ping)
            answerNow { AnswerEncoder.ping(id: request.id, rulesVersion: loop.currentScreener.ruleSet.version, into: &$0) }
            recordLatency(since: started)
        case .stats(let format):
            loop.statistics.count(.stats)
            let slot = reserveSlot()
            let this = NIOLoopBound(self, eventLoop: context!.eventLoop)
            server.statistics(on: context!.eventLoop).whenComplete { result in
                let handler = this.value
                var answer = ByteBuffer()
                switch result {
                case .success(let snapshot): AnswerEncoder.stats(id: request.id, snapshot, format: format, into: &answer)
                case .failure(let error): AnswerEncoder.error(id: request.id, ProtocolError(.internal, "\(error)"), into: &answer)
                }
                handler.fill(slot, with: answer)
            }
        case .reload:
            loop.statistics.count(.reload)
            guard isAdmin else {
                let who = peer.map { "uid \($0.uid) gid \($0.gid)" } ?? "unknown peer"
                logger.notice("reload refused", metadata: ["peer": "\(who)"])
                answerError(id: request.id, ProtocolError(.forbidden, "reload needs admin credentials (\(who) is not admin)"))
                return
            }
            let slot = reserveSlot()
            let this = NIOLoopBound(self, eventLoop: context!.eventLoop)
            server.reload(reason: "request from uid \(peer?.uid ?? 0)", on: context!.eventLoop).whenComplete { result in
                let handler = this.value
                var answer = ByteBuffer()
                switch result {
                case .success(let outcome): AnswerEncoder.reloaded(id: request.id, outcome, into: &answer)
                case .failure(let error as ProtocolError): AnswerEncoder.error(id: request.id, error, into: &answer)
                case .failure(let error): AnswerEncoder.error(id: request.id, ProtocolError(.internal, "\(error)"), into: &answer)
                }
                handler.loop.statistics.count(result.isSuccess ? nil : ErrorCode.rulesRejected)
                handler.fill(slot, with: answer)
            }
        }
    }

    /// The loop's screener, set to list entities or not for this request.
    private func screener(listingEntities: Bool) -> Screener {
        let screener = loop.currentScreener
        screener.reportsEntities = listingEntities
        return screener
    }

    private func handleReport(id: [UInt8]?, _ report: Request.Report, listingEntities: Bool, started: NIODeadline) {
        guard let store = server.reportStore, let context else {
            answerError(id: id, ProtocolError(.forbidden, "this daemon stores no reports (no reports directory configured)"))
            return
        }
        let screener = screener(listingEntities: listingEntities)
        // A report is a label for rule authors to replay: a category the rules do not have (a typo, an old
        // name) would be stored and count as a miss of a category nobody screens for.
        if let category = report.category, screener.ruleSet.category(id: category) == nil {
            let known = screener.ruleSet.categories.map(\.id).joined(separator: ", ")
            answerError(id: id, ProtocolError(.badValue, "category: '\(category)' is not a category of the rule set (one of: \(known))"))
            return
        }
        let verdict = screener.screen(report.message.text)
        let reportID = store.nextID()
        let record = AnswerEncoder.reportRecord(reportID: reportID, requestID: id, report: report, peer: peer,
                                                receivedAt: ReportStore.iso8601(Date()), verdict: verdict)
        let slot = reserveSlot()
        let promise = context.eventLoop.makePromise(of: Void.self)
        heldElsewhere += record.count
        store.append(record, promise: promise)
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { [recordBytes = record.count] result in
            let handler = this.value
            handler.heldElsewhere -= recordBytes
            var answer = ByteBuffer()
            switch result {
            case .success:
                handler.loop.statistics.reportsStored += 1
                handler.loop.statistics.count(verdict.decision)
                AnswerEncoder.verdict(id: id, verdict, elapsedMicros: handler.micros(since: started), reportID: reportID, into: &answer)
                handler.recordLatency(since: started)
            case .failure(let error):
                handler.logger.error("report not stored", metadata: ["error": "\(error)"])
                handler.loop.statistics.count(.internal)
                AnswerEncoder.error(id: id, ProtocolError(.internal, "report not stored: \(error)"), into: &answer)
            }
            handler.fill(slot, with: answer)
        }
    }

    private func answerVerdict(id: [UInt8]?, _ verdict: Verdict, started: NIODeadline) {
        loop.statistics.count(verdict.decision)
        let elapsed = micros(since: started)
        let loop = self.loop
        answerNow { AnswerEncoder.verdict(id: id, verdict, elapsedMicros: elapsed, scratch: &loop.answerWriter, into: &$0) }
        loop.statistics.latency.record(micros: UInt64(elapsed))
    }

    private func answerError(id: [UInt8]?, _ error: ProtocolError) {
        loop.statistics.count(error.code)
        answerNow { AnswerEncoder.error(id: id, error, into: &$0) }
    }

    /// Writes an answer that is ready now: straight to the output, or behind earlier unanswered requests.
    private func answerNow(_ write: (inout ByteBuffer) -> Void) {
        if waiting.isEmpty {
            write(&output)
        } else {
            var answer = ByteBuffer()
            write(&answer)
            heldElsewhere += answer.readableBytes
            waiting.append(answer)
        }
    }

    /// A place in the answer order for an answer that comes later.
    private func reserveSlot() -> Int {
        waiting.append(nil)
        return waitingBase + waiting.count - 1
    }

    private func fill(_ slot: Int, with answer: ByteBuffer) {
        guard !closed else { return }
        waiting[waiting.index(waiting.startIndex, offsetBy: slot - waitingBase)] = answer
        heldElsewhere += answer.readableBytes
        while let first = waiting.first, var ready = first {
            heldElsewhere -= ready.readableBytes
            output.writeBuffer(&ready)
            waiting.removeFirst()
            waitingBase += 1
        }
        flushOutput()
        processBatch()
        flushOutput()
        closeIfDrained()
    }

    /// Set while `flushOutput` writes: the write can re-enter this handler (NIO reports writability changes
    /// from inside the flush, and the handler then screens and flushes again).
    private var flushing = false

    private func flushOutput() {
        // A nested call appends its answers after the bytes being written and leaves them to the loop below.
        // (Writing `output` again from inside sent its bytes twice: a pipelining client got answers that no
        // longer lined up with its requests.)
        guard !flushing else { return }
        flushing = true
        while output.readableBytes > 0, !closed, let context {
            let length = output.readableBytes
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
            // What a nested call appended is still to write; what was just handed over is skipped.
            output.moveReaderIndex(forwardBy: length)
        }
        flushing = false
        if draining { closeIfDrained() }  // a nested call could not: it would have sent the bytes in flight again
        guard output.readableBytes == 0, !closed, let context else { return }
        // The socket usually takes the bytes at once and the buffer is ours alone again: reuse it (`clear`
        // allocates only while the channel still holds it), unless a large batch made it big.
        if output.capacity <= ConnectionHandler.reusedOutputCapacity {
            output.clear()
        } else {
            output = context.channel.allocator.buffer(capacity: 4_096)
        }
        // A batch that stopped at `maxHeldBytes` goes on once its answers are out: whoever flushed (the loop's
        // write pass, a writability change, a report stored) may have been the last event this connection gets.
        scheduleNextBatchIfNeeded()
    }

    /// During a drain: once every complete request is answered, write what is left and close when every
    /// write has reached the socket. Earlier writes may still wait in the channel for a client that reads
    /// slowly; closing at once threw them away (and the last answer was cut mid-line).
    private func closeIfDrained() {
        guard draining, !closed, !flushing, !batchScheduled, waiting.isEmpty, let context, !hasCompleteLine else { return }
        closed = true
        // Writes complete in order, so the last one's completion means that all of them were written.
        let last = output
        output = ByteBuffer()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    private func micros(since started: NIODeadline) -> Int {
        Int((NIODeadline.now() - started).nanoseconds / 1_000)
    }

    private func recordLatency(since started: NIODeadline) {
        loop.statistics.latency.record(micros: UInt64(micros(since: started)))
    }
}

extension LoopStatistics {
    fileprivate mutating func count(_ code: ErrorCode?) {
        if let code { count(code) }
    }
}

extension Result {
    fileprivate var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
