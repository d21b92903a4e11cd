import NIOCore

/// Matches answer lines to requests on one connection: the daemon answers in request order, so each
/// request's promise is queued as its bytes are written and the next answer line completes the oldest.
final class AnswerLineHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutgoingRequest
    typealias OutboundOut = ByteBuffer

    /// A request line and the promise of its answer line.
    struct OutgoingRequest {
        var line: [UInt8]
        var promise: EventLoopPromise<String>
    }

    /// Answers longer than this are treated as a broken connection (the daemon's are a few KiB).
    static let maxAnswerBytes = 16 * 1_048_576

    private var buffer = ByteBuffer()
    private var waiting = CircularBuffer<EventLoopPromise<String>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
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
            if let promise = waiting.popFirst() {
                promise.succeed(line)
            } else {
                // An answer nobody asked for (overloaded on connect): the connection is unusable.
                context.fireErrorCaught(DaemonClient.Failure(message: "unexpected answer: \(line)"))
                context.close(promise: nil)
                return
            }
        }
        if buffer.readableBytes > AnswerLineHandler.maxAnswerBytes {
            context.fireErrorCaught(DaemonClient.Failure(message: "answer longer than \(AnswerLineHandler.maxAnswerBytes) bytes"))
            context.close(promise: nil)
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let promise = waiting.popFirst() {
            promise.fail(DaemonClient.Failure(message: "connection closed by the daemon before it answered"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
        context.close(promise: nil)
    }
}
