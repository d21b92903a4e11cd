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
}
