import Foundation
import NIOCore

/// Matches answer lines to requests on one connection: the daemon answers in request order, so each
/// request's promise is queued as its bytes are written and the next answer line completes the oldest.
/// Once the connection ends — closed by either side, an answer later than the timeout, a line nobody asked
/// for — answers can no longer be matched: every waiting request fails with the reason, and so does every
/// later one (`ConnectionState`).
final class AnswerLineHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutgoingRequest
    typealias OutboundOut = ByteBuffer

    /// A request line and the promise of its answer line.
    struct OutgoingRequest {
        var line: [UInt8]
        var promise: EventLoopPromise<String>
    }

    /// Closes the connection once every request written so far is answered (a dropped client).
    struct CloseWhenAnswered {}

    /// Answers longer than this are treated as a broken connection (the daemon's are a few KiB).
    static let maxAnswerBytes = 16 * 1_048_576

    private struct Waiting {
        var promise: EventLoopPromise<String>
        var deadline: NIODeadline
    }

    private let state: ConnectionState
    private let timeout: TimeAmount
    private var buffer = ByteBuffer()
    private var waiting = CircularBuffer<Waiting>()
    /// Fires at the oldest waiting request's deadline (or a later one's: it is re-armed, not moved, as answers come).
    private var timer: Scheduled<Void>?
    private var closingWhenAnswered = false

    init(state: ConnectionState, timeout: TimeAmount) {
        self.state = state
        self.timeout = timeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let ending = state.ending {
            // Ended between the caller's check and this write (a close or a timeout on the loop): not sent.
            request.promise.fail(ending)
            promise?.fail(ending)
            return
        }
        let deadline = NIODeadline.now() + timeout
        waiting.append(Waiting(promise: request.promise, deadline: deadline))
        if timer == nil { armTimer(context: context, at: deadline) }
        var bytes = context.channel.allocator.buffer(capacity: request.line.count + 1)
        bytes.writeBytes(request.line)
        bytes.writeInteger(UInt8(ascii: "\n"))
        context.write(wrapOutboundOut(bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let newline = buffer.readableBytesView.firstIndex(of: 0x0A) {
            let length = newline - buffer.readerIndex
            let line = buffer.readString(length: length) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            if let request = waiting.popFirst() {
                request.promise.succeed(line)
            } else {
                // An answer nobody asked for (overloaded on connect): the connection is unusable.
                return end(context: context, AnswerLineHandler.unexpected(line))
            }
        }
        if buffer.readableBytes > AnswerLineHandler.maxAnswerBytes {
            return end(context: context, DaemonClient.Failure(message: "answer longer than \(AnswerLineHandler.maxAnswerBytes) bytes"))
        }
        buffer.discardReadBytes()
        if closingWhenAnswered, waiting.isEmpty { context.close(promise: nil) }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is CloseWhenAnswered else { return context.triggerUserOutboundEvent(event, promise: promise) }
        closingWhenAnswered = true
        if waiting.isEmpty { context.close(promise: nil) }
        promise?.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failWaiting(state.end(.daemonClosed))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        end(context: context, DaemonClient.Failure.ending(error))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Fails every waiting request with the connection's ending reason and closes it.
    private func end(context: ChannelHandlerContext, _ failure: DaemonClient.Failure) {
        failWaiting(state.end(failure))
        context.close(promise: nil)
    }

    private func failWaiting(_ failure: DaemonClient.Failure) {
        timer?.cancel()
        timer = nil
        while let request = waiting.popFirst() { request.promise.fail(failure) }
    }

    private func armTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            guard let oldest = waiting.first else { return }
            if oldest.deadline <= .now() {
                end(context: context, .timedOut(timeout))
            } else {
                armTimer(context: context, at: oldest.deadline)
            }
        }
    }

    /// A line that answers no request: the daemon's refusal (`overloaded` on connect), or a daemon out of step.
    static func unexpected(_ line: String) -> DaemonClient.Failure {
        if let answer = Answer(line: line), let error = answer.error {
            return DaemonClient.Failure(message: "the daemon refused the connection: \(error.code): \(error.message)")
        }
        return DaemonClient.Failure(message: "unexpected answer: \(line)")
    }
}
