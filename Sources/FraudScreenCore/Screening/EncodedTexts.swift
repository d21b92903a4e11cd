/// A fixed list of byte strings (pre-encoded JSON pieces) end to end in one block of memory the object owns.
///
/// Reading a piece hands out a pointer into that block, where reading an element of `[[UInt8]]` retains the
/// element: answers read several pieces per hit, and the rule set's pieces are read by every screening thread
/// at once, so those retains contended for the same reference counts. A class, unlike `PackedLists`, because
/// verdicts share it and it must live as long as the last of them.
final class EncodedTexts: @unchecked Sendable {  // immutable after init; the memory is only read
    private let pieces: PackedLists<UInt8>

    init(_ pieces: [[UInt8]]) { self.pieces = PackedLists(pieces) }

    deinit { pieces.free() }

    var count: Int { pieces.count }

    /// Piece `i`, valid while this object lives.
    subscript(i: Int) -> UnsafeBufferPointer<UInt8> { pieces[i] }
}
